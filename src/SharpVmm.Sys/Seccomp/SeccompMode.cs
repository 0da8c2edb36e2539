namespace SharpVmm.Sys;

/// <summary>What a thread's seccomp filter does with a system call its allow-list lacks.</summary>
public enum SeccompMode
{
    /// <summary>No filter is installed.</summary>
    Off,

    /// <summary>The call is allowed and logged by the kernel (<c>SECCOMP_RET_LOG</c>: an audit record, seen in
    /// <c>dmesg</c> as <c>type=1326 ... syscall=N</c>): for finding what an allow-list misses.</summary>
    Log,

    /// <summary>The process is killed with <c>SIGSYS</c> (<c>SECCOMP_RET_KILL_PROCESS</c>), as Firecracker does.</summary>
    Enforce,
}
