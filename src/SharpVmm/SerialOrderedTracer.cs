using SharpVmm.Devices.Legacy;
using SharpVmm.Exits;

namespace SharpVmm;

/// <summary>
/// Keeps <c>--trace-io</c> lines and the guest's serial output in the order the guest made them: COM1's output goes
/// through a queue (so that a slow reader never blocks a vCPU), so before each traced exit what the guest printed so far
/// is let out first. Tracing is a debugging aid; the wait it adds per exit is its price.
/// </summary>
internal sealed class SerialOrderedTracer(IExitTracer inner) : IExitTracer
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(1);

    /// <summary>COM1, once the builder has made it.</summary>
    public Uart8250? Serial { get; set; }

    public void OnPortIo(int vcpuId, ushort port, bool isWrite, ReadOnlySpan<byte> data)
    {
        Serial?.FlushOutput(Wait);
        inner.OnPortIo(vcpuId, port, isWrite, data);
    }

    public void OnMmio(int vcpuId, ulong address, bool isWrite, ReadOnlySpan<byte> data)
    {
        Serial?.FlushOutput(Wait);
        inner.OnMmio(vcpuId, address, isWrite, data);
    }
}
