using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_ioeventfd</c> for <c>KVM_IOEVENTFD</c> (api.rst 4.59).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIoeventfd
{
    /// <summary>KVM_IOEVENTFD_FLAG_DATAMATCH: only a write of exactly <see cref="Datamatch"/> signals the eventfd.</summary>
    public const uint FlagDatamatch = 1 << 0;
    /// <summary>KVM_IOEVENTFD_FLAG_PIO: <see cref="Addr"/> is a port, not a guest-physical (MMIO) address.</summary>
    public const uint FlagPio = 1 << 1;
    /// <summary>KVM_IOEVENTFD_FLAG_DEASSIGN: remove a registration instead of adding one.</summary>
    public const uint FlagDeassign = 1 << 2;

    /// <summary>The value a write must carry when <see cref="FlagDatamatch"/> is set.</summary>
    public ulong Datamatch;
    /// <summary>Port or guest-physical address.</summary>
    public ulong Addr;
    /// <summary>Access length: 1, 2, 4 or 8 (0 = any length, MMIO only).</summary>
    public uint Len;
    /// <summary>The eventfd.</summary>
    public int Fd;
    /// <summary>KVM_IOEVENTFD_FLAG_*.</summary>
    public uint Flags;
    private fixed byte _pad[36];
}
