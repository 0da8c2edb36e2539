using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_translation</c> for <c>KVM_TRANSLATE</c>: a guest linear address and what it maps to.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmTranslation
{
    /// <summary>In: the linear address.</summary>
    public ulong LinearAddress;
    /// <summary>Out: the guest-physical address.</summary>
    public ulong PhysicalAddress;
    /// <summary>Out: 1 when the translation is valid.</summary>
    public byte Valid;
    /// <summary>Out: writeable.</summary>
    public byte Writeable;
    /// <summary>Out: user-accessible.</summary>
    public byte Usermode;
    private fixed byte _pad[5];
}
