using System.Runtime.InteropServices;
using SharpVmm.Sys;

namespace SharpVmm.Tests.Support;

/// <summary>Signals an eventfd through its raw descriptor, the way KVM does on an ioeventfd hit (an 8-byte count).</summary>
internal static class EventFdWriter
{
    public static void Signal(SafeHandle eventFd, ulong value = 1)
    {
        bool added = false;
        try
        {
            eventFd.DangerousAddRef(ref added);
            nint written = Libc.Write((int)eventFd.DangerousGetHandle(), MemoryMarshal.AsBytes(new ReadOnlySpan<ulong>(ref value)));
            if (written != sizeof(ulong))
            {
                throw new IOException($"eventfd write failed: errno {Errno.Last()}");
            }
        }
        finally
        {
            if (added)
            {
                eventFd.DangerousRelease();
            }
        }
    }
}
