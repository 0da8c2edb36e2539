namespace SharpVmm.Cli;

/// <summary>The CLI's process exit codes. Each failure class has its own, so scripts can tell them apart.</summary>
public static class ExitCodes
{
    /// <summary>The guest ran and ended normally (HLT, a power-off, a reset), or <c>--max-exits</c> stopped it.</summary>
    public const int Success = 0;
    /// <summary>An unexpected failure inside SharpVmm (a bug; the message says what).</summary>
    public const int InternalError = 1;
    /// <summary>Bad command-line arguments.</summary>
    public const int Usage = 2;
    /// <summary>No usable <c>/dev/kvm</c>: missing, no permission, or not KVM.</summary>
    public const int KvmUnavailable = 3;
    /// <summary>The guest image is missing, unreadable, malformed or larger than guest memory.</summary>
    public const int BadImage = 4;
    /// <summary>The load address is not inside guest memory.</summary>
    public const int LoadAddressOutsideMemory = 5;
    /// <summary>The guest triple-faulted.</summary>
    public const int GuestTripleFault = 6;
    /// <summary>KVM could not enter the guest (invalid vCPU state).</summary>
    public const int GuestEntryFailure = 7;
    /// <summary>KVM hit an internal error running the guest (e.g. an instruction it cannot emulate).</summary>
    public const int GuestInternalError = 8;
    /// <summary>The guest caused an exit this VMM does not handle.</summary>
    public const int GuestUnhandledExit = 9;
    /// <summary>A host system call failed while the guest ran.</summary>
    public const int HostError = 10;
    /// <summary>
    /// A device's host back-end could not be opened (a disk image missing, unreadable or not writable, or a TAP), or a
    /// device failed while the guest ran (<see cref="VmStopReason.DeviceError"/>, or a dead worker).
    /// </summary>
    public const int DeviceBackend = 11;
    /// <summary>
    /// <c>--time-limit</c> stopped a guest that was still running, as <c>timeout(1)</c> reports it: a hung guest is
    /// not a success. Even, so no isa-debug-exit status (always odd) can be mistaken for it.
    /// </summary>
    public const int TimeLimitReached = 124;
    /// <summary>
    /// SIGTERM or SIGINT stopped <c>run</c> or <c>boot</c>: the vCPUs were stopped, the disk requests in flight
    /// finished and every writable disk synced (fdatasync) before the exit. 128 + SIGINT, as a shell reports Ctrl-C;
    /// one code for both signals, and even, so no isa-debug-exit status (always odd) can be mistaken for it.
    /// </summary>
    public const int StoppedBySignal = 130;

    /// <summary>The exit code for <paramref name="result"/>: the guest's own status for isa-debug-exit (its low 8 bits, as a process keeps them).</summary>
    public static int For(VmRunResult result)
    {
        int code = result.Reason == VmStopReason.GuestDebugExit && result.GuestExitStatus is int status ? status & 0xFF : For(result.Reason);
        // A run that otherwise ended well but lost a device says so (the log has named the device and the error).
        return code == Success && result.DeviceFailures.Count > 0 ? DeviceBackend : code;
    }

    /// <summary>The exit code for a run that ended for <paramref name="reason"/>.</summary>
    public static int For(VmStopReason reason) => reason switch
    {
        VmStopReason.TimeLimitReached => TimeLimitReached,
        VmStopReason.AllVcpusHalted or VmStopReason.ExitLimitReached
            or VmStopReason.StopRequested or VmStopReason.SystemEvent or VmStopReason.GuestReset or VmStopReason.GuestPowerOff => Success,
        VmStopReason.TripleFault => GuestTripleFault,
        VmStopReason.EntryFailure => GuestEntryFailure,
        VmStopReason.InternalError => GuestInternalError,
        VmStopReason.UnhandledExit => GuestUnhandledExit,
        VmStopReason.HostError => HostError,
        VmStopReason.DeviceError => DeviceBackend,
        _ => InternalError,
    };
}
