using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_userspace_memory_region</c>: one guest-physical memory slot backed by host memory.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmUserspaceMemoryRegion
{
    /// <summary><c>KVM_MEM_LOG_DIRTY_PAGES</c>: KVM logs the pages the guest writes (<see cref="KvmVm.GetDirtyLog"/>).</summary>
    public const uint LogDirtyPages = 1;

    /// <summary><c>KVM_MEM_READONLY</c>: guest writes exit to user space as MMIO.</summary>
    public const uint ReadOnly = 2;

    /// <summary>Slot number.</summary>
    public uint Slot;
    /// <summary><c>KVM_MEM_LOG_DIRTY_PAGES</c> (1), <c>KVM_MEM_READONLY</c> (2).</summary>
    public uint Flags;
    /// <summary>Guest-physical start.</summary>
    public ulong GuestPhysAddr;
    /// <summary>Size in bytes (0 deletes the slot).</summary>
    public ulong MemorySize;
    /// <summary>Host virtual address of the backing memory.</summary>
    public ulong UserspaceAddr;
}
