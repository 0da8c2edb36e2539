namespace SharpVmm.Devices.Bus;

/// <summary>The x86 port I/O space: 65536 byte-addressed ports.</summary>
public sealed class IoBus : DeviceBus
{
    /// <summary>Creates an empty port I/O bus.</summary>
    public IoBus() : base(0xFFFF)
    {
    }
}
