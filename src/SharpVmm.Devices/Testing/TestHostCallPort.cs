using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Testing;

/// <summary>
/// A port whose every write runs a host action on the thread that wrote it (a vCPU's): the VMM's own test device for
/// checking what a vCPU thread may do on the host, such as a system call its seccomp filter forbids. The action is given
/// the first byte written. Reads return 0.
/// </summary>
public sealed class TestHostCallPort : IBusDevice
{
    /// <summary>Ports the device decodes.</summary>
    public const ushort PortCount = 1;

    private readonly Action<byte> _call;
    private long _calls;

    /// <summary>Creates the port; <paramref name="call"/> runs on each write, with the first byte written.</summary>
    public TestHostCallPort(Action<byte> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        _call = call;
    }

    /// <summary>Writes handled so far.</summary>
    public long CallCount => Interlocked.Read(ref _calls);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data) => data.Clear();

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Interlocked.Increment(ref _calls);
        _call(data.IsEmpty ? (byte)0 : data[0]);
    }
}
