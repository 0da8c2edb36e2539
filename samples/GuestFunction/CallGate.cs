using SharpVmm.Devices.Bus;

namespace GuestFunction;

/// <summary>
/// A one-port device through which the guest asks for its next call: its <c>out</c> to the port means "my last
/// result is in memory, give me the next input". The vCPU waits in <see cref="Write"/> until the host posts a call
/// (or closes the gate), so a call costs one exit and two thread hand-offs, and the guest never polls.
/// </summary>
public sealed class CallGate : IBusDevice, IDisposable
{
    private readonly SemaphoreSlim _ready = new(0);
    private readonly SemaphoreSlim _next = new(0);
    private volatile bool _closed;

    /// <summary>Waits until the guest is ready for a call: its first <c>out</c>, or the end of the last call.</summary>
    public bool WaitReady(TimeSpan timeout) => _ready.Wait(timeout);

    /// <summary>Lets the guest run the call whose input the host has just written.</summary>
    public void Post() => _next.Release();

    /// <summary>Lets a waiting guest go without a call, so that the VM can stop.</summary>
    public void Close()
    {
        _closed = true;
        _next.Release();
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data) => data.Clear();

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        _ready.Release();
        if (!_closed)
        {
            _next.Wait();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _ready.Dispose();
        _next.Dispose();
    }
}
