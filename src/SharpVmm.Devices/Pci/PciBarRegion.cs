using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Pci;

/// <summary>The registers inside one BAR of a device, answering through the device's own read and write methods.</summary>
internal sealed class PciBarRegion(PciBarRegion.ReadHandler read, PciBarRegion.WriteHandler write) : IBusDevice
{
    /// <summary>Fills <paramref name="data"/> from <paramref name="offset"/>.</summary>
    public delegate void ReadHandler(ulong offset, Span<byte> data);

    /// <summary>Takes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public delegate void WriteHandler(ulong offset, ReadOnlySpan<byte> data);

    public void Read(ulong offset, Span<byte> data) => read(offset, data);

    public void Write(ulong offset, ReadOnlySpan<byte> data) => write(offset, data);
}
