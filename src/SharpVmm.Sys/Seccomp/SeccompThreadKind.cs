namespace SharpVmm.Sys;

/// <summary>The kinds of VMM thread that get a seccomp filter of their own (<see cref="SyscallAllowList"/>).</summary>
public enum SeccompThreadKind
{
    /// <summary>A vCPU thread: <c>KVM_RUN</c> and the devices it reaches through exits.</summary>
    Vcpu,

    /// <summary>A device thread: virtio workers, the ioeventfd poller, the serial writer; disk, TAP and vsock I/O.</summary>
    Device,

    /// <summary>Every other thread of a confined VMM process: the main thread, the API server's, the .NET thread pool's.
    /// Installed on all of them at once (<see cref="SeccompPolicy.ConfineProcess"/>), beneath the other two kinds' filters.</summary>
    Vmm,
}
