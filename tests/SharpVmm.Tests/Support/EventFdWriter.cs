using System.Runtime.InteropServices;

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
            nint written = Write((int)eventFd.DangerousGetHandle(), ref value, sizeof(ulong));
            if (written != sizeof(ulong))
            {
                throw new IOException($"eventfd write failed: errno {Marshal.GetLastPInvokeError()}");
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

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Write(int fd, ref ulong value, nuint count);
}
