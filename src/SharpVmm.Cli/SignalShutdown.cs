using System.Runtime.InteropServices;

namespace SharpVmm.Cli;

/// <summary>
/// How <c>run</c> and <c>boot</c> end a guest: SIGTERM or SIGINT stops its vCPUs, and every ending then goes through
/// <see cref="MicroVm.Shutdown"/> (the disk requests in flight finish, every writable disk is synced) before the
/// caller reports it and restores the terminal. A signal's ending is <see cref="ExitCodes.StoppedBySignal"/>.
/// </summary>
internal sealed class SignalShutdown : IDisposable
{
    private readonly MicroVm _vm;
    private readonly PosixSignalWatch _signals;

    /// <summary>Watches for SIGTERM and SIGINT from now on; either stops <paramref name="vm"/>.</summary>
    public SignalShutdown(MicroVm vm)
    {
        _vm = vm;
        _signals = new PosixSignalWatch(_ => StopQuietly(vm));
    }

    /// <summary>
    /// Ends <paramref name="result"/>'s VM in order. Returns the exit code when the shutdown decides it (a signal
    /// stopped the guest: <see cref="ExitCodes.StoppedBySignal"/>; a disk could not be synced:
    /// <see cref="ExitCodes.HostError"/>), having said so on <paramref name="error"/>; null when the run's own result does.
    /// </summary>
    public int? Finish(VmRunResult result, TextWriter error)
    {
        IReadOnlyList<string> synced;
        try
        {
            synced = _vm.Shutdown();
        }
        catch (IOException ex)
        {
            error.WriteLine($"sharpvmm: error: the guest's writes may not be on disk: {ex.Message}");
            return ExitCodes.HostError;
        }

        if (_signals.Received is not PosixSignal signal || result.Reason != VmStopReason.StopRequested)
        {
            return null;
        }

        error.WriteLine($"sharpvmm: stopped by {PosixSignalWatch.Name(signal)}: vCPUs stopped after {result.ExitCount} exits, " +
            $"disk requests in flight finished, {synced.Count} writable disk(s) synced");
        return ExitCodes.StoppedBySignal;
    }

    /// <inheritdoc />
    public void Dispose() => _signals.Dispose();

    private static void StopQuietly(MicroVm vm)
    {
        try
        {
            vm.Stop();
        }
        catch (ObjectDisposedException)
        {
            // the VM is gone already: nothing left to stop
        }
    }
}
