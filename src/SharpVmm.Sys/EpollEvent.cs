using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary><c>struct epoll_event</c> for epoll(7); packed (12 bytes) on x86-64, as glibc declares it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}
