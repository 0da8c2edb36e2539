using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>emulation_failure</c> member of the kvm_run exit union.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmRunEmulationFailure
{
    /// <summary>Always <c>KVM_INTERNAL_ERROR_EMULATION</c>.</summary>
    public uint Suberror;
    /// <summary>Number of valid 64-bit data words.</summary>
    public uint Ndata;
    /// <summary><c>KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES</c> (1) when the bytes below are valid.</summary>
    public ulong Flags;
    /// <summary>Number of valid bytes in <see cref="InsnBytes"/>.</summary>
    public byte InsnSize;
    /// <summary>The instruction KVM failed to emulate.</summary>
    public fixed byte InsnBytes[15];
}
