using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_irq_routing_entry</c> (api.rst 4.52): one GSI's route, an irqchip pin or an MSI.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIrqRoutingEntry
{
    /// <summary>KVM_IRQ_ROUTING_IRQCHIP: the union is <c>u.irqchip</c> (irqchip, pin).</summary>
    public const uint TypeIrqchip = 1;
    /// <summary>KVM_IRQ_ROUTING_MSI: the union is <c>u.msi</c> (address_lo, address_hi, data, devid).</summary>
    public const uint TypeMsi = 2;

    /// <summary>The global system interrupt this entry routes.</summary>
    public uint Gsi;
    /// <summary>KVM_IRQ_ROUTING_*.</summary>
    public uint Type;
    /// <summary>KVM_MSI_VALID_DEVID or 0.</summary>
    public uint Flags;
    private uint _pad;
    /// <summary>The union <c>u</c> as eight 32-bit words: irqchip = [chip, pin]; msi = [address_lo, address_hi, data, devid].</summary>
    public fixed uint U[8];
}
