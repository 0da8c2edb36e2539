namespace SharpVmm.Kvm;

/// <summary>
/// Builds GSI routing tables. <c>KVM_SET_GSI_ROUTING</c> replaces the whole table, so a VMM that adds MSI routes
/// must send the irqchip routes again: <see cref="DefaultX86"/> is the table KVM installs with
/// <c>KVM_CREATE_IRQCHIP</c> (arch/x86/kvm/irq_comm.c <c>default_routing</c>).
/// </summary>
public static class GsiRoutingTable
{
    /// <summary>Pins of KVM's IOAPIC (KVM_IOAPIC_NUM_PINS).</summary>
    public const uint IoapicPins = 24;

    /// <summary>Pins of the two cascaded 8259 PICs together.</summary>
    public const uint PicPins = 16;

    /// <summary>
    /// KVM's default x86 routes: GSI n drives IOAPIC pin n for n &lt; 24, and for n &lt; 16 also PIC pin n (master
    /// pins 0-7, slave pins 8-15 as slave pins 0-7). GSI 2 stays on master pin 2 as KVM has it: that pin is the
    /// cascade, never unmasked by a guest for a device, so the route is harmless and keeps the table identical.
    /// </summary>
    public static List<GsiRoute> DefaultX86()
    {
        var routes = new List<GsiRoute>((int)(IoapicPins + PicPins));
        for (uint gsi = 0; gsi < IoapicPins; gsi++)
        {
            routes.Add(GsiRoute.Irqchip(gsi, KvmIrqchip.Ioapic, gsi));
            if (gsi < PicPins)
            {
                routes.Add(GsiRoute.Irqchip(gsi, gsi < 8 ? KvmIrqchip.PicMaster : KvmIrqchip.PicSlave, gsi % 8));
            }
        }

        return routes;
    }

    /// <summary>
    /// <see cref="DefaultX86"/> plus <paramref name="msiRoutes"/>. Throws if an MSI route reuses a GSI an irqchip pin
    /// already has (KVM would accept it and fire both, which is never what a device means).
    /// </summary>
    public static List<GsiRoute> DefaultX86With(IEnumerable<GsiRoute> msiRoutes)
    {
        ArgumentNullException.ThrowIfNull(msiRoutes);
        var routes = DefaultX86();
        foreach (var route in msiRoutes)
        {
            if (route.Gsi < IoapicPins)
            {
                throw new ArgumentException($"GSI {route.Gsi} is an IOAPIC pin; MSI routes need GSI {IoapicPins} or above", nameof(msiRoutes));
            }

            routes.Add(route);
        }

        return routes;
    }
}
