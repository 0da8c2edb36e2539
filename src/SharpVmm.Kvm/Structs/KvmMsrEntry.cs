using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_msr_entry</c>: one model-specific register.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrEntry
{
    /// <summary>MSR index.</summary>
    public uint Index;
    private readonly uint _reserved;
    /// <summary>MSR value.</summary>
    public ulong Data;

    /// <summary>Creates an entry.</summary>
    public KvmMsrEntry(uint index, ulong data)
    {
        Index = index;
        Data = data;
    }
}
