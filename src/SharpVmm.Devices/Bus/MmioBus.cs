namespace SharpVmm.Devices.Bus;

/// <summary>The memory-mapped I/O space: guest-physical addresses not backed by RAM.</summary>
public sealed class MmioBus : DeviceBus
{
    /// <summary>Creates an empty MMIO bus.</summary>
    public MmioBus() : base(ulong.MaxValue)
    {
    }
}
