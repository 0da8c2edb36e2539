using System.Runtime.InteropServices;

namespace SharpVmm.Cli;

/// <summary>
/// Runs an action on SIGTERM or SIGINT instead of letting the runtime end the process at once, so the VMM can end
/// the guest in order. Only the first signal is held back: a second one ends the process the runtime's way, for a
/// shutdown that hangs.
/// </summary>
internal sealed class PosixSignalWatch : IDisposable
{
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _int;
    private int _received;

    /// <summary>Calls <paramref name="onSignal"/> with the first SIGTERM or SIGINT the process receives.</summary>
    public PosixSignalWatch(Action<PosixSignal> onSignal)
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Handle(c, onSignal));
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Handle(c, onSignal));
    }

    /// <summary>The first signal received, if any.</summary>
    public PosixSignal? Received => Volatile.Read(ref _received) switch { 0 => null, int s => (PosixSignal)s };

    /// <summary>The C name of <paramref name="signal"/> (SIGTERM, SIGINT).</summary>
    public static string Name(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGINT => "SIGINT",
        _ => signal.ToString(),
    };

    private void Handle(PosixSignalContext context, Action<PosixSignal> onSignal)
    {
        if (Interlocked.CompareExchange(ref _received, (int)context.Signal, 0) != 0)
        {
            return;
        }

        context.Cancel = true;
        onSignal(context.Signal);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
    }
}
