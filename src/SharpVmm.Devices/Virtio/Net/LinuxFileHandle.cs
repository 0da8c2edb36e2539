using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio.Net;

/// <summary>An owned Linux file descriptor, closed when released.</summary>
internal sealed class LinuxFileHandle : SafeHandle
{
    public LinuxFileHandle(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => TapInterop.Close((int)handle) == 0;
}
