namespace SharpVmm.Devices.Virtio.Mmio;

/// <summary>
/// Where the x86 platform puts virtio-mmio devices: device <c>n</c> at <see cref="FirstBase"/> + n *
/// <see cref="Stride"/>, with the ISA IRQ <see cref="Irqs"/>[n] (edge-triggered), at most <see cref="MaxDevices"/>.
/// </summary>
public static class VirtioMmioLayout
{
    /// <summary>Guest-physical address of the first device's window.</summary>
    public const ulong FirstBase = 0xD000_0000;

    /// <summary>Distance between two devices' windows (each device is mapped over <see cref="VirtioMmioDevice.WindowSize"/>).</summary>
    public const ulong Stride = 0x1000;

    /// <summary>The ISA IRQs given to the devices, in order: the ones a PC leaves free of legacy devices.</summary>
    public static ReadOnlySpan<byte> Irqs => [5, 6, 7, 10, 11, 14, 15];

    /// <summary>How many virtio-mmio devices the layout has room for (one per free IRQ).</summary>
    public const int MaxDevices = 7;

    /// <summary>The guest-physical base address of device <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More than <see cref="MaxDevices"/> devices.</exception>
    public static ulong BaseOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxDevices);
        return FirstBase + ((ulong)index * Stride);
    }

    /// <summary>The ISA IRQ of device <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More than <see cref="MaxDevices"/> devices.</exception>
    public static byte IrqOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxDevices);
        return Irqs[index];
    }
}
