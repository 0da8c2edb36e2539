namespace SharpVmm.Exits;

/// <summary>Observes device-access exits as they are dispatched (for <c>--trace-io</c> and debugging).</summary>
public interface IExitTracer
{
    /// <summary>One port access. For a write, <paramref name="data"/> is what the guest wrote; for a read, what it got.</summary>
    void OnPortIo(int vcpuId, ushort port, bool isWrite, ReadOnlySpan<byte> data);

    /// <summary>One MMIO access.</summary>
    void OnMmio(int vcpuId, ulong address, bool isWrite, ReadOnlySpan<byte> data);
}
