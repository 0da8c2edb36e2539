namespace SharpVmm.Devices.Pci;

/// <summary>The VMM asked for a PCI layout that cannot be built: a slot taken or out of range, or the MMIO window full.</summary>
public sealed class PciConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PciConfigurationException(string message) : base(message)
    {
    }
}
