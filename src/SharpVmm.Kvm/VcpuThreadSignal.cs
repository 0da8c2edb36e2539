using System.Runtime.InteropServices;
using SharpVmm.Kvm.Interop;

namespace SharpVmm.Kvm;

/// <summary>
/// The thread-directed signal that kicks a vCPU thread out of <c>KVM_RUN</c>.
/// It uses <c>SIGRTMIN+2</c>: the .NET runtime owns <c>SIGRTMIN</c> itself. The handler does nothing; its only job
/// is to exist, so that the signal interrupts the ioctl (KVM_RUN then fails with EINTR) instead of being ignored or
/// killing the process.
/// </summary>
public static unsafe class VcpuThreadSignal
{
    private static readonly Lock InstallLock = new();
    private static int _signal;

    /// <summary>The signal number in use (installs the handler on first use).</summary>
    public static int Number
    {
        get
        {
            EnsureInstalled();
            return _signal;
        }
    }

    /// <summary>Installs the no-op handler once per process.</summary>
    public static void EnsureInstalled()
    {
        if (Volatile.Read(ref _signal) != 0)
        {
            return;
        }

        lock (InstallLock)
        {
            if (_signal != 0)
            {
                return;
            }

            int signal = Libc.CurrentSigRtMin() + 2;
            if (signal > Libc.CurrentSigRtMax())
            {
                throw new KvmException("sigaction", 0, "no real-time signal is free for vCPU kicks");
            }

            var action = new KernelSigaction { Handler = CreateNoOpHandler() };
            if (Libc.Sigaction(signal, action, out _) != 0)
            {
                throw KvmException.FromLastError("sigaction");
            }

            Volatile.Write(ref _signal, signal);
        }
    }

    /// <summary>The calling thread's pthread id, to pass to <see cref="Kick"/> later.</summary>
    public static nuint CurrentThread() => Libc.PthreadSelf();

    /// <summary>Sends the kick signal to <paramref name="thread"/>. A thread that has already exited is not an error.</summary>
    public static void Kick(nuint thread)
    {
        int error = Libc.PthreadKill(thread, Number);
        if (error != 0 && error != 3 /* ESRCH */)
        {
            throw new KvmException("pthread_kill", error);
        }
    }

    // C# cannot produce a native function that is safe to run in signal context, so the handler is one
    // hand-assembled instruction, `ret` (0xC3), in its own read+execute page, mapped once and never freed.
    private static nint CreateNoOpHandler()
    {
        const nuint PageSize = 4096;
        nint page = Libc.Mmap(0, PageSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (page == Libc.MAP_FAILED)
        {
            throw KvmException.FromLastError("mmap(signal handler)");
        }

        // SAFETY: page is a fresh, writable, private mapping of PageSize bytes.
        *(byte*)page = 0xC3;
        if (Libc.Mprotect(page, PageSize, Libc.PROT_READ | Libc.PROT_EXEC) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.Munmap(page, PageSize);
            throw new KvmException("mprotect(signal handler)", errno);
        }

        return page;
    }
}
