using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>glibc's <c>struct sigaction</c> on x86-64: handler, a 1024-bit mask, flags, restorer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KernelSigaction
{
    public nint Handler;
    public fixed ulong Mask[16];
    public int Flags;
    public nint Restorer;
}
