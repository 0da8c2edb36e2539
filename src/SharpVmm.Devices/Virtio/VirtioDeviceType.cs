namespace SharpVmm.Devices.Virtio;

/// <summary>Virtio device IDs (virtio 1.2, section 5 "Device Types").</summary>
public enum VirtioDeviceType : uint
{
    /// <summary>Network card (5.1).</summary>
    Net = 1,

    /// <summary>Block device (5.2).</summary>
    Block = 2,

    /// <summary>Console (5.3).</summary>
    Console = 3,

    /// <summary>Entropy source (5.4).</summary>
    Entropy = 4,

    /// <summary>Traditional memory balloon (5.5).</summary>
    Balloon = 5,

    /// <summary>Socket device, virtio-vsock (5.10).</summary>
    Socket = 19,
}
