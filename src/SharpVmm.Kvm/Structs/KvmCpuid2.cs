using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The fixed header of <c>struct kvm_cpuid2</c>; <see cref="KvmCpuidEntry2"/> entries follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmCpuid2
{
    /// <summary>Number of entries that follow.</summary>
    public uint Nent;
    private readonly uint _padding;
}
