using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_dirty_log</c> for <c>KVM_GET_DIRTY_LOG</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmDirtyLog
{
    /// <summary>The memory slot (address space in bits 16-31, 0 here).</summary>
    public uint Slot;
    private readonly uint _padding;
    /// <summary>User address of the bitmap: one bit per page of the slot, rounded up to whole 64-bit words.</summary>
    public ulong DirtyBitmap;
}
