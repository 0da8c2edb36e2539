namespace SharpVmm.Sys;

/// <summary>
/// The x86-64 system calls each kind of VMM thread may make (numbers from <c>asm/unistd_64.h</c>). Both lists start
/// from what the .NET runtime itself needs on any thread: memory management, signals and thread suspension for the
/// garbage collector, futexes, clocks, thread exit, and what the JIT needs when it compiles a method on first use
/// (opening and mapping an assembly, growing its double-mapped code file). Left out of all lists, and so fatal under
/// <see cref="SeccompMode.Enforce"/>: starting programs (<c>execve</c>; <c>fork</c> and <c>vfork</c>, though
/// <c>clone</c> is there for threads and its flags are not checked), <c>ptrace</c>, mounts, modules, namespaces,
/// credentials, BPF and perf, and for vCPU threads every socket call. The <see cref="Vmm"/> list, for every other thread
/// of a confined process, adds what building a VM, writing snapshots and serving the API need, and <c>kill</c>: the
/// runtime re-raises a termination signal that no handler took with <c>kill(getpid(), signal)</c> on its signal thread.
/// Signals can reach other processes (<c>tgkill</c>, which the runtime uses for its own threads, takes any process
/// ID; the filters do not check arguments).
/// </summary>
public static class SyscallAllowList
{
    private static readonly int[] Runtime =
    [
        0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, // read ... writev
        21, 24, 25, 26, 27, 28, 32, 33, 35, 39, // access, sched_yield, mremap, msync, mincore, madvise, dup, dup2, nanosleep, getpid
        56, 60, 63, 72, 74, 75, 77, 79, 89, // clone, exit, uname, fcntl, fsync, fdatasync, ftruncate, getcwd, readlink
        96, 97, 98, 99, 100, 102, 104, 107, 108, 110, // gettimeofday, getrlimit, getrusage, sysinfo, times, get[e]uid, get[e]gid, getppid
        131, 138, 140, 141, 142, 143, 144, 145, 146, 147, 157, // sigaltstack, fstatfs, [gs]etpriority, sched_*: thread start-up, prctl
        186, 200, 202, 203, 204, // gettid, tkill, futex, sched_[sg]etaffinity
        217, 218, 219, 221, 228, 229, 230, 231, 232, 233, 234, // getdents64, set_tid_address, restart_syscall, fadvise64, clock_*, exit_group, epoll_wait/ctl, tgkill
        239, 257, 262, 267, 270, 271, 273, 274, 281, 290, 291, 293, // get_mempolicy, openat, newfstatat, readlinkat, pselect6, ppoll, *_robust_list, epoll_pwait, eventfd2, epoll_create1, pipe2
        302, 309, 318, 319, 324, 332, 334, 435, // prlimit64, getcpu, getrandom, memfd_create, membarrier, statx, rseq, clone3
    ];

    private static readonly int[] DeviceExtra =
    [
        41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 54, 55, // sockets: vsock's host side, over Unix sockets
        263, 283, 285, 286, 287, 288, 295, 296, 299, 307, 327, 328, // unlinkat, timerfd_*, fallocate, accept4, preadv, pwritev, recvmmsg, sendmmsg, preadv2, pwritev2
    ];

    private static readonly int[] VmmExtra =
    [
        22, 53, 62, 73, 82, 83, 84, 87, 90, 91, 95, 137, // pipe, socketpair, kill, flock (FileStream's share lock), rename, mkdir, rmdir, unlink, chmod, fchmod, umask, statfs
        258, 264, 268, 292, 316, // mkdirat, renameat, fchmodat, dup3, renameat2
    ];

    /// <summary>What a vCPU thread may call.</summary>
    public static IReadOnlyList<int> Vcpu { get; } = Runtime;

    /// <summary>What a device thread may call.</summary>
    public static IReadOnlyList<int> Device { get; } = [.. Runtime, .. DeviceExtra];

    /// <summary>What every other thread of a confined VMM process may call: the main thread, the API server's and the
    /// .NET thread pool's (files, sockets and the VM's set-up, nothing more).</summary>
    public static IReadOnlyList<int> Vmm { get; } = [.. Runtime, .. DeviceExtra, .. VmmExtra];

    /// <summary>The list for <paramref name="kind"/>.</summary>
    public static IReadOnlyList<int> For(SeccompThreadKind kind) => kind switch
    {
        SeccompThreadKind.Vcpu => Vcpu,
        SeccompThreadKind.Device => Device,
        _ => Vmm,
    };
}
