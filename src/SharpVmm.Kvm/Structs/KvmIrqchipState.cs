using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>
/// <c>struct kvm_irqchip</c> for <c>KVM_GET_IRQCHIP</c>/<c>KVM_SET_IRQCHIP</c>: one in-kernel interrupt controller's
/// state. <see cref="Chip"/> is the kernel's 512-byte union: a <c>struct kvm_pic_state</c> (16 bytes) for the two PICs,
/// a <c>struct kvm_ioapic_state</c> (216 bytes) for the IOAPIC.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIrqchipState
{
    /// <summary>The size of <see cref="Chip"/>.</summary>
    public const int ChipSize = 512;

    /// <summary>Which controller: a <see cref="KvmIrqchip"/> value.</summary>
    public uint ChipId;
    private readonly uint _pad;
    /// <summary>The controller's state.</summary>
    public fixed byte Chip[ChipSize];
}
