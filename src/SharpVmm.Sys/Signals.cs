using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>The signal calls: sigaction, the real-time signal range, and thread-directed signals (pthread_kill).</summary>
public static partial class Signals
{
    private const string Lib = "libc";

    /// <summary>The lowest real-time signal the C library leaves to programs (<c>SIGRTMIN</c>).</summary>
    public static int RealTimeMin => CurrentSigRtMin();

    /// <summary>The highest real-time signal (<c>SIGRTMAX</c>).</summary>
    public static int RealTimeMax => CurrentSigRtMax();

    /// <summary>The calling thread's pthread id.</summary>
    [LibraryImport(Lib, EntryPoint = "pthread_self")]
    public static partial nuint PthreadSelf();

    /// <summary>pthread_kill(3): returns the error number itself (0: sent), as pthread functions do not set errno.</summary>
    [LibraryImport(Lib, EntryPoint = "pthread_kill")]
    public static partial int PthreadKill(nuint thread, int signal);

    /// <summary>Installs <paramref name="handler"/> (a native function's address) for <paramref name="signal"/>, no flags, empty mask.</summary>
    /// <exception cref="SystemCallException">sigaction failed.</exception>
    public static void SetHandler(int signal, nint handler)
    {
        var action = new KernelSigaction { Handler = handler };
        if (Sigaction(signal, action, out _) != 0)
        {
            throw SystemCallException.FromLastError("sigaction");
        }
    }

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    private static partial int Sigaction(int signal, in KernelSigaction act, out KernelSigaction oldact);

    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmin")]
    private static partial int CurrentSigRtMin();

    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmax")]
    private static partial int CurrentSigRtMax();
}
