namespace SharpVmm.Devices.Pci;

/// <summary>Delivers message-signalled interrupts to the guest (KVM_SIGNAL_MSI, or an irqfd routed to an MSI). Any thread.</summary>
public interface IMsiSink
{
    /// <summary>Delivers <paramref name="message"/>.</summary>
    void Send(MsiMessage message);
}
