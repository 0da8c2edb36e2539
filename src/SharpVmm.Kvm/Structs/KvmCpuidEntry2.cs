using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_cpuid_entry2</c>: one CPUID leaf/subleaf.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmCpuidEntry2
{
    /// <summary>Leaf (EAX input).</summary>
    public uint Function;
    /// <summary>Subleaf (ECX input).</summary>
    public uint Index;
    /// <summary><c>KVM_CPUID_FLAG_*</c>.</summary>
    public uint Flags;
    /// <summary>EAX output.</summary>
    public uint Eax;
    /// <summary>EBX output.</summary>
    public uint Ebx;
    /// <summary>ECX output.</summary>
    public uint Ecx;
    /// <summary>EDX output.</summary>
    public uint Edx;
    private fixed uint _padding[3];
}
