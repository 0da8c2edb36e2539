using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// A classic-BPF seccomp program over an allow-list of x86-64 system call numbers, installed on the calling thread
/// with <c>prctl(PR_SET_NO_NEW_PRIVS)</c> and <c>prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)</c> (seccomp(2)), or on every
/// thread of the process at once with <c>seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)</c>. A call from
/// another architecture's ABI is refused whatever the mode; an x32 call never matches the list.
/// </summary>
public static unsafe partial class SeccompFilter
{
    private const ushort LoadWordAbsolute = 0x20, JumpIfEqual = 0x15, Return = 0x06; // BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    private const uint AuditArchX8664 = 0xC000003E;
    private const uint RetKillProcess = 0x80000000, RetLog = 0x7FFC0000, RetAllow = 0x7FFF0000;
    private const int NrOffset = 0, ArchOffset = 4; // struct seccomp_data
    private const int PrSetNoNewPrivs = 38, PrSetSeccomp = 22, SeccompModeFilter = 2;
    private const int SysSeccomp = 317, SeccompSetModeFilter = 1, SeccompFilterFlagTsync = 1;

    /// <summary>The BPF instructions (8 bytes each: code, jt, jf, k) for <paramref name="allowed"/>.</summary>
    public static ulong[] Build(IReadOnlyList<int> allowed, SeccompMode mode)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (allowed.Count > 250)
        {
            throw new ArgumentException("at most 250 system calls fit the program's short jumps", nameof(allowed));
        }

        uint otherwise = mode == SeccompMode.Log ? RetLog : RetKillProcess;
        int n = allowed.Count;
        var program = new ulong[n + 6];
        program[0] = Instruction(LoadWordAbsolute, 0, 0, ArchOffset);
        program[1] = Instruction(JumpIfEqual, 1, 0, AuditArchX8664);
        program[2] = Instruction(Return, 0, 0, RetKillProcess);
        program[3] = Instruction(LoadWordAbsolute, 0, 0, NrOffset);
        for (int i = 0; i < n; i++)
        {
            // A match jumps over the remaining comparisons and the default return, to the allow.
            program[4 + i] = Instruction(JumpIfEqual, (byte)(n - i), 0, (uint)allowed[i]);
        }

        program[4 + n] = Instruction(Return, 0, 0, otherwise);
        program[5 + n] = Instruction(Return, 0, 0, RetAllow);
        return program;
    }

    /// <summary>Installs a filter allowing <paramref name="allowed"/> on the calling thread.</summary>
    /// <exception cref="SystemCallException">prctl failed.</exception>
    public static void Install(IReadOnlyList<int> allowed, SeccompMode mode) => Install(allowed, mode, allThreads: false);

    /// <summary>
    /// Installs a filter allowing <paramref name="allowed"/> on every thread of the process at once; threads started
    /// later inherit it. The kernel refuses when another thread has already installed a filter of its own.
    /// </summary>
    /// <exception cref="SystemCallException">seccomp(2) failed.</exception>
    /// <exception cref="InvalidOperationException">A thread has a filter of its own and could not take this one.</exception>
    public static void InstallOnAllThreads(IReadOnlyList<int> allowed, SeccompMode mode) => Install(allowed, mode, allThreads: true);

    private static void Install(IReadOnlyList<int> allowed, SeccompMode mode, bool allThreads)
    {
        ulong[] program = Build(allowed, mode);
        if (Prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0)
        {
            throw SystemCallException.FromLastError("prctl(PR_SET_NO_NEW_PRIVS)");
        }

        fixed (ulong* filter = program)
        {
            // SAFETY: struct sock_fprog is { unsigned short len; struct sock_filter *filter; }: the count, padding, then
            // the pointer. Both the struct and the pinned array outlive the synchronous call, which copies them.
            var fprog = stackalloc nint[2];
            fprog[0] = program.Length;
            fprog[1] = (nint)filter;
            if (!allThreads)
            {
                if (Prctl(PrSetSeccomp, SeccompModeFilter, (nuint)fprog, 0, 0) != 0)
                {
                    throw SystemCallException.FromLastError("prctl(PR_SET_SECCOMP)");
                }

                return;
            }

            // With TSYNC the call returns the ID of a thread that could not take the filter (it has one of its own).
            long result = Syscall(SysSeccomp, SeccompSetModeFilter, SeccompFilterFlagTsync, (nint)fprog);
            if (result < 0)
            {
                throw SystemCallException.FromLastError("seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)");
            }

            if (result > 0)
            {
                throw new InvalidOperationException($"thread {result} has a seccomp filter of its own, so no thread was given this one (install the process's filter first)");
            }
        }
    }

    private static ulong Instruction(ushort code, byte jumpTrue, byte jumpFalse, uint k) =>
        code | ((ulong)jumpTrue << 16) | ((ulong)jumpFalse << 24) | ((ulong)k << 32);

    // syscall(2) is variadic in C; glibc's x86-64 version is plain assembly that moves its integer arguments into place.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint arg1, nint arg2, nint arg3);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
