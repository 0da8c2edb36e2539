namespace SharpVmm;

/// <summary>The outcome of <see cref="VirtualMachine.Run"/>.</summary>
/// <param name="Reason">Why the run ended.</param>
/// <param name="VcpuId">The vCPU whose exit ended the run, when one did.</param>
/// <param name="Summary">One line a person can read (e.g. <c>vCPU 0: KVM_EXIT_SHUTDOWN (guest triple fault)</c>).</param>
/// <param name="Report">For abnormal stops: registers, segments and the code at RIP, disassembled (several lines, below <paramref name="Summary"/>).</param>
/// <param name="ExitCount">Exits handled across all vCPUs.</param>
/// <param name="Error">The host exception, for <see cref="VmStopReason.HostError"/>.</param>
/// <param name="GuestExitStatus">For <see cref="VmStopReason.GuestDebugExit"/>: the status the guest asked the VMM to exit with.</param>
public sealed record VmRunResult(
    VmStopReason Reason,
    int? VcpuId,
    string Summary,
    string? Report,
    long ExitCount,
    Exception? Error = null,
    int? GuestExitStatus = null)
{
    /// <summary>Devices whose host-side work failed during the run (a dead worker thread, a back-end error); empty when none did.</summary>
    public IReadOnlyList<Diagnostics.DeviceFailure> DeviceFailures { get; init; } = [];

    /// <summary>True when the guest ended in an expected way (halt, limits, an explicit stop).</summary>
    public bool IsSuccess => Reason is VmStopReason.AllVcpusHalted or VmStopReason.ExitLimitReached
        or VmStopReason.TimeLimitReached or VmStopReason.StopRequested or VmStopReason.GuestReset or VmStopReason.GuestPowerOff;
}
