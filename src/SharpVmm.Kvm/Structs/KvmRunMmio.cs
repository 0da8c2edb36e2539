using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>mmio</c> member of the kvm_run exit union.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmRunMmio
{
    /// <summary>Guest-physical address accessed.</summary>
    public ulong PhysAddr;
    /// <summary>Data written, or the buffer to fill for a read.</summary>
    public fixed byte Data[8];
    /// <summary>Access length in bytes (1 to 8).</summary>
    public uint Len;
    /// <summary>Non-zero for a write.</summary>
    public byte IsWrite;
}
