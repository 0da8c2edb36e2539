using SharpVmm.Devices.Bus;

namespace SharpVmm.Bench;

/// <summary>Port 0x10 of the kvmsample guest: counts writes, as the C reference does.</summary>
internal sealed class CountingPort : IBusDevice
{
    public long Writes;

    public void Read(ulong offset, Span<byte> data) => data.Clear();

    public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes++;
}
