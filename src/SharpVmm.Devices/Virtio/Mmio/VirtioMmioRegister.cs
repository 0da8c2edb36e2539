namespace SharpVmm.Devices.Virtio.Mmio;

/// <summary>Register offsets of a virtio-mmio device, version 2 (virtio 1.2, 4.2.2 "MMIO Device Register Layout").</summary>
public static class VirtioMmioRegister
{
    /// <summary>MagicValue (R): 0x74726976, "virt" little-endian.</summary>
    public const int MagicValue = 0x000;

    /// <summary>Version (R): 2 for the modern layout.</summary>
    public const int Version = 0x004;

    /// <summary>DeviceID (R): the virtio device type.</summary>
    public const int DeviceId = 0x008;

    /// <summary>VendorID (R).</summary>
    public const int VendorId = 0x00C;

    /// <summary>DeviceFeatures (R): 32 feature bits selected by <see cref="DeviceFeaturesSel"/>.</summary>
    public const int DeviceFeatures = 0x010;

    /// <summary>DeviceFeaturesSel (W).</summary>
    public const int DeviceFeaturesSel = 0x014;

    /// <summary>DriverFeatures (W): 32 accepted feature bits selected by <see cref="DriverFeaturesSel"/>.</summary>
    public const int DriverFeatures = 0x020;

    /// <summary>DriverFeaturesSel (W).</summary>
    public const int DriverFeaturesSel = 0x024;

    /// <summary>QueueSel (W): the queue the following queue registers refer to.</summary>
    public const int QueueSel = 0x030;

    /// <summary>QueueNumMax (R): the selected queue's maximum size, 0 if it does not exist.</summary>
    public const int QueueNumMax = 0x034;

    /// <summary>QueueNum (W): the selected queue's size.</summary>
    public const int QueueNum = 0x038;

    /// <summary>QueueReady (RW): the selected queue is enabled.</summary>
    public const int QueueReady = 0x044;

    /// <summary>QueueNotify (W): an available buffer notification; the value is the queue index.</summary>
    public const int QueueNotify = 0x050;

    /// <summary>InterruptStatus (R): why the interrupt was raised (<see cref="VirtioMmioDevice.InterruptUsedBuffer"/>,
    /// <see cref="VirtioMmioDevice.InterruptConfigChange"/>).</summary>
    public const int InterruptStatus = 0x060;

    /// <summary>InterruptACK (W): clears the InterruptStatus bits written.</summary>
    public const int InterruptAck = 0x064;

    /// <summary>Status (RW): the device status byte (2.1); writing 0 resets the device.</summary>
    public const int Status = 0x070;

    /// <summary>QueueDescLow (W): low 32 bits of the descriptor table address.</summary>
    public const int QueueDescLow = 0x080;

    /// <summary>QueueDescHigh (W).</summary>
    public const int QueueDescHigh = 0x084;

    /// <summary>QueueDriverLow (W): low 32 bits of the driver area (available ring) address.</summary>
    public const int QueueDriverLow = 0x090;

    /// <summary>QueueDriverHigh (W).</summary>
    public const int QueueDriverHigh = 0x094;

    /// <summary>QueueDeviceLow (W): low 32 bits of the device area (used ring) address.</summary>
    public const int QueueDeviceLow = 0x0A0;

    /// <summary>QueueDeviceHigh (W).</summary>
    public const int QueueDeviceHigh = 0x0A4;

    /// <summary>SHMSel (W): shared memory region selector; no device here has a region.</summary>
    public const int ShmSel = 0x0AC;

    /// <summary>SHMLenLow (R): all ones for a region that does not exist.</summary>
    public const int ShmLenLow = 0x0B0;

    /// <summary>SHMLenHigh (R).</summary>
    public const int ShmLenHigh = 0x0B4;

    /// <summary>SHMBaseLow (R): all ones for a region that does not exist.</summary>
    public const int ShmBaseLow = 0x0B8;

    /// <summary>SHMBaseHigh (R).</summary>
    public const int ShmBaseHigh = 0x0BC;

    /// <summary>ConfigGeneration (R): changes whenever the device configuration may have changed.</summary>
    public const int ConfigGeneration = 0x0FC;

    /// <summary>Config (RW): the device-specific configuration space starts here; any access width.</summary>
    public const int Config = 0x100;
}
