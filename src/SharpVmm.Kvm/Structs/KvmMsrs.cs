using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The fixed header of <c>struct kvm_msrs</c>; <see cref="KvmMsrEntry"/> entries follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrs
{
    /// <summary>Number of entries that follow.</summary>
    public uint Nmsrs;
    private readonly uint _pad;
}
