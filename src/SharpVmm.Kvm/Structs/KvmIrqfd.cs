using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_irqfd</c> for <c>KVM_IRQFD</c> (api.rst 4.75).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIrqfd
{
    /// <summary>KVM_IRQFD_FLAG_DEASSIGN: remove the (fd, gsi) binding.</summary>
    public const uint FlagDeassign = 1 << 0;

    /// <summary>The eventfd: a write to it injects <see cref="Gsi"/>.</summary>
    public uint Fd;
    /// <summary>The global system interrupt it raises.</summary>
    public uint Gsi;
    /// <summary>KVM_IRQFD_FLAG_*.</summary>
    public uint Flags;
    /// <summary>Resample eventfd (KVM_IRQFD_FLAG_RESAMPLE only).</summary>
    public uint Resamplefd;
    private fixed byte _pad[16];
}
