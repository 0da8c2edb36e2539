using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>
/// <c>struct kvm_xsave</c>: the vCPU's XSAVE area in the non-compacted (standard) format, laid out as CPUID leaf 0xD
/// says on the host. <c>KVM_GET_XSAVE2</c> and <c>KVM_SET_XSAVE</c> move <c>KVM_CAP_XSAVE2</c> bytes when that is
/// larger (dynamic features such as AMX enabled with <c>arch_prctl</c>); this is the fixed 4 KiB part.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmXsave
{
    /// <summary>The size of the fixed structure, and the least <c>KVM_CAP_XSAVE2</c> ever reports.</summary>
    public const int Size = 4096;

    /// <summary>The XSAVE area, as 32-bit words.</summary>
    public fixed uint Region[Size / sizeof(uint)];
}
