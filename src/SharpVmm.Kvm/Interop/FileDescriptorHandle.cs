using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Interop;

/// <summary>An owned Linux file descriptor, closed when released.</summary>
public sealed class FileDescriptorHandle : SafeHandle
{
    /// <summary>Creates an invalid handle (used by the marshaller).</summary>
    public FileDescriptorHandle() : base(-1, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public FileDescriptorHandle(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    /// <inheritdoc />
    public override bool IsInvalid => handle == -1;

    /// <summary>The raw descriptor number; valid only while the handle is open.</summary>
    public int Fd => (int)handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
