using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The fixed header of <c>struct kvm_msr_list</c>; <see cref="Nmsrs"/> 32-bit MSR indices follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrList
{
    /// <summary>In: room for this many indices. Out: how many KVM has (with E2BIG when they did not fit).</summary>
    public uint Nmsrs;
}
