using SharpVmm.Sys;

namespace SharpVmm.Kvm;

/// <summary>
/// The thread-directed signal that kicks a vCPU thread out of <c>KVM_RUN</c>.
/// It uses <c>SIGRTMIN+2</c>: the .NET runtime owns <c>SIGRTMIN</c> itself. The handler does nothing; its only job
/// is to exist, so that the signal interrupts the ioctl (KVM_RUN then fails with EINTR) instead of being ignored or
/// killing the process.
/// </summary>
public static class VcpuThreadSignal
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

            int signal = Signals.RealTimeMin + 2;
            if (signal > Signals.RealTimeMax)
            {
                throw new KvmException("sigaction", 0, "no real-time signal is free for vCPU kicks");
            }

            try
            {
                Signals.SetHandler(signal, ExecutablePage.Create(NoOpHandler));
            }
            catch (SystemCallException e)
            {
                throw new KvmException($"{e.Operation}(vCPU kick signal handler)", e.Errno);
            }

            Volatile.Write(ref _signal, signal);
        }
    }

    /// <summary>The calling thread's pthread id, to pass to <see cref="Kick"/> later.</summary>
    public static nuint CurrentThread() => Signals.PthreadSelf();

    /// <summary>Sends the kick signal to <paramref name="thread"/>. A thread that has already exited is not an error.</summary>
    public static void Kick(nuint thread)
    {
        int error = Signals.PthreadKill(thread, Number);
        if (error != 0 && error != Errno.ESRCH)
        {
            throw new KvmException("pthread_kill", error);
        }
    }

    // C# cannot produce a native function that is safe to run in signal context, so the handler is one
    // hand-assembled instruction, `ret` (0xC3), in its own read+execute page, mapped once and never freed.
    private static ReadOnlySpan<byte> NoOpHandler => [0xC3];
}
