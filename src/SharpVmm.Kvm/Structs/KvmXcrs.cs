using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_xcrs</c> for <c>KVM_GET_XCRS</c>/<c>KVM_SET_XCRS</c> (<c>KVM_CAP_XCRS</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmXcrs
{
    /// <summary><c>KVM_MAX_XCRS</c>.</summary>
    public const int MaxXcrs = 16;

    /// <summary>How many of <see cref="Xcrs"/> are used.</summary>
    public uint NrXcrs;
    /// <summary>No flags are defined.</summary>
    public uint Flags;
    /// <summary>The registers.</summary>
    public KvmXcrArray Xcrs;
    private fixed ulong _padding[16];
}
