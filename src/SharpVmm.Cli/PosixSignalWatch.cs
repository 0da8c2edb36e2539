using System.Runtime.InteropServices;

namespace SharpVmm.Cli;

/// <summary>Runs an action on SIGTERM or SIGINT instead of letting the runtime end the process at once.</summary>
internal sealed class PosixSignalWatch : IDisposable
{
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _int;

    public PosixSignalWatch(Action onSignal)
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; onSignal(); });
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; onSignal(); });
    }

    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
    }
}
