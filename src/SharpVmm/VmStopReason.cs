namespace SharpVmm;

/// <summary>Why a VM run ended.</summary>
public enum VmStopReason
{
    /// <summary>Every vCPU executed HLT with nothing to wake it (the classic demos end this way).</summary>
    AllVcpusHalted,
    /// <summary>The configured number of exits was reached.</summary>
    ExitLimitReached,
    /// <summary>The configured time limit was reached.</summary>
    TimeLimitReached,
    /// <summary><see cref="VirtualMachine.Stop"/> was called.</summary>
    StopRequested,
    /// <summary>The guest triple-faulted (<c>KVM_EXIT_SHUTDOWN</c>).</summary>
    TripleFault,
    /// <summary>KVM could not enter the guest (<c>KVM_EXIT_FAIL_ENTRY</c>): the vCPU state is invalid for the hardware.</summary>
    EntryFailure,
    /// <summary>KVM reported an internal error (<c>KVM_EXIT_INTERNAL_ERROR</c>), e.g. an instruction it cannot emulate.</summary>
    InternalError,
    /// <summary>The guest asked for a reset, power-off or reported a crash (<c>KVM_EXIT_SYSTEM_EVENT</c>).</summary>
    SystemEvent,
    /// <summary>An exit reason this VMM does not handle.</summary>
    UnhandledExit,
    /// <summary>A host-side failure (an ioctl failed) stopped the VM.</summary>
    HostError,
    /// <summary>The guest asked the platform to reset (keyboard controller reset line, ACPI reset register).</summary>
    GuestReset,
    /// <summary>The guest powered the machine off (ACPI S5).</summary>
    GuestPowerOff,
    /// <summary>The guest wrote to the isa-debug-exit port: <see cref="VmRunResult.GuestExitStatus"/> says with what status.</summary>
    GuestDebugExit,
    /// <summary>
    /// A device threw while handling a guest access (a device bug the guest reached): the VM stopped, and
    /// <see cref="VmRunResult.DeviceFailures"/> names the device, its address and the error.
    /// </summary>
    DeviceError,
}
