using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_dtable</c>: a descriptor-table register (GDTR/IDTR).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmDtable
{
    /// <summary>Linear base address.</summary>
    public ulong Base;
    /// <summary>Limit (size in bytes minus one).</summary>
    public ushort Limit;
    private readonly ushort _padding0, _padding1, _padding2;
}
