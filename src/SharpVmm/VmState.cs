namespace SharpVmm;

/// <summary>
/// Where a VM is in its life: <see cref="NotStarted"/> → <see cref="Running"/> ⇄ <see cref="Paused"/> →
/// <see cref="Stopped"/>. A stopped VM does not start again.
/// </summary>
public enum VmState
{
    /// <summary>Built, with its memory, vCPUs and devices; no vCPU thread has run yet.</summary>
    NotStarted,

    /// <summary>The vCPU threads are running the guest.</summary>
    Running,

    /// <summary>
    /// Every vCPU is out of <c>KVM_RUN</c> and parked, and every pausable device has stopped touching guest memory and
    /// its queues: guest state can be read (or saved) and does not change until <see cref="VirtualMachine.Resume"/>.
    /// </summary>
    Paused,

    /// <summary>The run has ended (<see cref="VirtualMachine.WaitForExit"/> says why).</summary>
    Stopped,
}
