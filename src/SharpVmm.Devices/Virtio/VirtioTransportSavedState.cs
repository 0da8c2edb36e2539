namespace SharpVmm.Devices.Virtio;

/// <summary>
/// The register state a virtio transport shares between virtio-pci and virtio-mmio (<see cref="VirtioTransportState.SaveState"/>):
/// status, feature selectors and accepted features, queue select, configuration generation, whether the device was
/// activated, and each queue's registers and ring positions.
/// </summary>
public sealed record VirtioTransportSavedState
{
    /// <summary>The device status byte (DEVICE_NEEDS_RESET included).</summary>
    public byte Status { get; set; }

    /// <summary>The features the driver accepted.</summary>
    public ulong DriverFeatures { get; set; }

    /// <summary>device_feature_select / DeviceFeaturesSel.</summary>
    public uint DeviceFeaturesPage { get; set; }

    /// <summary>driver_feature_select / DriverFeaturesSel.</summary>
    public uint DriverFeaturesPage { get; set; }

    /// <summary>queue_select / QueueSel.</summary>
    public uint QueueSelect { get; set; }

    /// <summary>The configuration generation.</summary>
    public uint ConfigGeneration { get; set; }

    /// <summary>Whether DRIVER_OK had activated the device (a restore activates it again, at the saved ring positions).</summary>
    public bool Activated { get; set; }

    /// <summary>Whether the activation at DRIVER_OK had failed (the device then waits for a reset, unactivated).</summary>
    public bool ActivationFailed { get; set; }

    /// <summary>One entry per queue of the device.</summary>
    public List<VirtQueueConfigState> Queues { get; set; } = [];
}
