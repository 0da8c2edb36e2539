using SharpVmm.Kvm.Structs;

namespace SharpVmm.Kvm;

/// <summary>
/// One entry of the GSI routing table (<c>KVM_SET_GSI_ROUTING</c>): a GSI goes to an irqchip pin or becomes an MSI.
/// A GSI may appear more than once (on x86, GSI 0-15 drive both a PIC pin and an IOAPIC pin).
/// </summary>
public readonly record struct GsiRoute
{
    private GsiRoute(uint gsi, bool isMsi, KvmIrqchip chip, uint pin, ulong msiAddress, uint msiData)
    {
        Gsi = gsi;
        IsMsi = isMsi;
        Chip = chip;
        Pin = pin;
        MsiAddress = msiAddress;
        MsiData = msiData;
    }

    /// <summary>The global system interrupt.</summary>
    public uint Gsi { get; }

    /// <summary>True for an MSI route, false for an irqchip pin.</summary>
    public bool IsMsi { get; }

    /// <summary>The target controller of an irqchip route.</summary>
    public KvmIrqchip Chip { get; }

    /// <summary>The pin of an irqchip route.</summary>
    public uint Pin { get; }

    /// <summary>The message address of an MSI route.</summary>
    public ulong MsiAddress { get; }

    /// <summary>The message data of an MSI route.</summary>
    public uint MsiData { get; }

    /// <summary>Routes <paramref name="gsi"/> to <paramref name="pin"/> of <paramref name="chip"/>.</summary>
    public static GsiRoute Irqchip(uint gsi, KvmIrqchip chip, uint pin)
    {
        uint pins = chip == KvmIrqchip.Ioapic ? GsiRoutingTable.IoapicPins : 8;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pin, pins);
        return new(gsi, false, chip, pin, 0, 0);
    }

    /// <summary>Makes <paramref name="gsi"/> deliver the MSI (<paramref name="address"/>, <paramref name="data"/>).</summary>
    public static GsiRoute Msi(uint gsi, ulong address, uint data) => new(gsi, true, default, 0, address, data);

    /// <summary>The kernel's <c>struct kvm_irq_routing_entry</c> for this route.</summary>
    public unsafe KvmIrqRoutingEntry ToKernelEntry()
    {
        var entry = new KvmIrqRoutingEntry { Gsi = Gsi };
        if (IsMsi)
        {
            entry.Type = KvmIrqRoutingEntry.TypeMsi;
            entry.U[0] = (uint)MsiAddress;
            entry.U[1] = (uint)(MsiAddress >> 32);
            entry.U[2] = MsiData;
        }
        else
        {
            entry.Type = KvmIrqRoutingEntry.TypeIrqchip;
            entry.U[0] = (uint)Chip;
            entry.U[1] = Pin;
        }

        return entry;
    }
}
