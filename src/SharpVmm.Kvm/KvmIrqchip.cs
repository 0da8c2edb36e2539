namespace SharpVmm.Kvm;

/// <summary>The in-kernel interrupt controllers a GSI route can target (<c>KVM_IRQCHIP_*</c>, x86).</summary>
public enum KvmIrqchip : uint
{
    /// <summary>KVM_IRQCHIP_PIC_MASTER: the master 8259, pins 0-7.</summary>
    PicMaster = 0,

    /// <summary>KVM_IRQCHIP_PIC_SLAVE: the slave 8259, pins 0-7 (IRQ 8-15).</summary>
    PicSlave = 1,

    /// <summary>KVM_IRQCHIP_IOAPIC: the IOAPIC, pins 0-23.</summary>
    Ioapic = 2,
}
