namespace SharpVmm.Devices.Firmware;

/// <summary>
/// The guest-visible state of an <see cref="FwCfgDevice"/> (<see cref="FwCfgDevice.SaveState"/>): the selected key and
/// how far the guest has read its item. The items and files are not saved: they are rebuilt from the configuration.
/// The device has no DMA interface, so there are no DMA address registers to save.
/// </summary>
public sealed record FwCfgState
{
    /// <summary>The selector as the guest last wrote it.</summary>
    public ushort Selector { get; set; }

    /// <summary>The offset of the next data byte within the selected item.</summary>
    public int Offset { get; set; }
}
