namespace SharpVmm.Devices.Pci;

/// <summary>
/// A PCI function on bus 0 (function 0 only): its configuration space and the memory BARs it implements. Calls come
/// from vCPU threads, possibly several at once; the device serialises them.
/// </summary>
public interface IPciDevice
{
    /// <summary>The memory BARs the device implements.</summary>
    IReadOnlyList<PciBar> Bars { get; }

    /// <summary>
    /// Raised when the guest moves a BAR or turns its decoding on or off: (bar, old address, new address), 0 meaning
    /// "not decoded". The bus moves the MMIO registration; a VMM can move ioeventfds.
    /// </summary>
    event Action<int, ulong, ulong>? BarRelocated;

    /// <summary>Reads configuration space at <paramref name="offset"/> (0-255; bytes past the end read as 0xFF).</summary>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>Writes configuration space at <paramref name="offset"/> (read-only bits and bytes past the end are ignored).</summary>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);
}
