using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio.Net;

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollDescriptor
{
    public int Fd;
    public short Events;
    public short Revents;
}
