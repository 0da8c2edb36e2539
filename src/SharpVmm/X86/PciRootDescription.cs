using SharpVmm.Devices.Pci;

namespace SharpVmm.X86;

/// <summary>
/// What the firmware tables say about PCI bus 0 (DSDT <c>\_SB.PCI0</c> and the MP table's PCI bus and interrupt
/// entries): the device numbers in use, each routed as <see cref="PciLayout.IntxGsi"/> says, and the windows of
/// <see cref="PciLayout"/>.
/// </summary>
public sealed record PciRootDescription
{
    /// <summary>Describes bus 0 with devices at <paramref name="slots"/> (1-31, no repeats).</summary>
    /// <exception cref="ArgumentException">A slot is out of range or repeated.</exception>
    public PciRootDescription(IEnumerable<int> slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        int[] sorted = [.. slots.Order()];
        if (sorted.Any(s => s is < PciLayout.FirstDeviceSlot or >= PciLayout.SlotCount) || sorted.Distinct().Count() != sorted.Length)
        {
            throw new ArgumentException(
                $"PCI slots must be distinct and in [{PciLayout.FirstDeviceSlot}, {PciLayout.SlotCount - 1}], not {string.Join(", ", sorted)}", nameof(slots));
        }

        Slots = sorted;
    }

    /// <summary>The device numbers in use, ascending (the host bridge at 0 is implied).</summary>
    public IReadOnlyList<int> Slots { get; }

    /// <summary>Every (slot, pin, GSI) an interrupt can arrive on: four pins per slot in use.</summary>
    public IEnumerable<(int Slot, int Pin, uint Gsi)> Routes =>
        Slots.SelectMany(slot => Enumerable.Range(0, 4).Select(pin => (slot, pin, PciLayout.IntxGsi(slot, pin))));
}
