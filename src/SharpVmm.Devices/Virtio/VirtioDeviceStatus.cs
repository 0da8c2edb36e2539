namespace SharpVmm.Devices.Virtio;

/// <summary>The device status field (virtio 1.2, section 2.1).</summary>
[Flags]
public enum VirtioDeviceStatus : byte
{
    /// <summary>Written by the driver to reset the device.</summary>
    Reset = 0,

    /// <summary>ACKNOWLEDGE: the guest noticed the device.</summary>
    Acknowledge = 1,

    /// <summary>DRIVER: the guest knows how to drive it.</summary>
    Driver = 2,

    /// <summary>DRIVER_OK: the driver is set up and the device may be used.</summary>
    DriverOk = 4,

    /// <summary>FEATURES_OK: feature negotiation is complete.</summary>
    FeaturesOk = 8,

    /// <summary>DEVICE_NEEDS_RESET: the device hit an error it cannot recover from without a reset.</summary>
    DeviceNeedsReset = 64,

    /// <summary>FAILED: the driver gave up on the device.</summary>
    Failed = 128,
}
