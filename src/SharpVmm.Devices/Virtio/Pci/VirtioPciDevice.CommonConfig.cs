namespace SharpVmm.Devices.Virtio.Pci;

/// <summary>The common configuration structure (virtio 1.2, 4.1.4.3) and the device status state machine (2.1, 3.1).</summary>
public sealed partial class VirtioPciDevice
{
    // struct virtio_pci_common_cfg field offsets and widths (4.1.4.3).
    private const uint DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0C;
    private const uint ConfigMsixVector = 0x10, NumQueues = 0x12, DeviceStatus = 0x14, ConfigGeneration = 0x15;
    private const uint QueueSelect = 0x16, QueueSize = 0x18, QueueMsixVector = 0x1A, QueueEnable = 0x1C, QueueNotifyOff = 0x1E;
    private const uint QueueDesc = 0x20, QueueDriver = 0x28, QueueDevice = 0x30;

    private static readonly (uint Offset, int Width)[] Fields =
    [
        (DeviceFeatureSelect, 4), (DeviceFeature, 4), (DriverFeatureSelect, 4), (DriverFeature, 4),
        (ConfigMsixVector, 2), (NumQueues, 2), (DeviceStatus, 1), (ConfigGeneration, 1),
        (QueueSelect, 2), (QueueSize, 2), (QueueMsixVector, 2), (QueueEnable, 2), (QueueNotifyOff, 2),
        (QueueDesc, 8), (QueueDriver, 8), (QueueDevice, 8),
    ];

    private uint _deviceFeatureSelect;
    private uint _driverFeatureSelect;
    private ulong _driverFeatures;
    private int _msixConfig = VirtQueueConfig.NoVector;
    private int _status;
    private int _configGeneration;
    private ushort _queueSelect;
    private volatile bool _activated;

    /// <summary>The device status byte.</summary>
    public VirtioDeviceStatus Status => (VirtioDeviceStatus)Volatile.Read(ref _status);

    /// <summary>The features the driver accepted (driver_feature, all 64 bits).</summary>
    public ulong DriverFeatures
    {
        get
        {
            lock (_lock)
            {
                return _driverFeatures;
            }
        }
    }

    /// <summary>config_generation: bumped by every configuration change notification.</summary>
    public byte ConfigGenerationValue => (byte)Volatile.Read(ref _configGeneration);

    /// <summary>Whether the device has been activated (DRIVER_OK accepted) since the last reset.</summary>
    public bool IsActivated => _activated;

    private void ReadCommonConfig(uint offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                uint at = offset + (uint)i;
                int field = FieldAt(at);
                if (field >= 0)
                {
                    (uint fieldOffset, _) = Fields[field];
                    data[i] = (byte)(ReadField(fieldOffset) >> (int)(8 * (at - fieldOffset)));
                }
            }
        }
    }

    private void WriteCommonConfig(uint offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            uint end = offset + (uint)data.Length;
            foreach ((uint fieldOffset, int width) in Fields)
            {
                if (fieldOffset >= end || fieldOffset + (uint)width <= offset)
                {
                    continue;
                }

                // Merge the bytes written into the field's current value, so partial and odd-sized writes are well defined.
                ulong value = ReadField(fieldOffset);
                for (int b = 0; b < width; b++)
                {
                    uint at = fieldOffset + (uint)b;
                    if (at >= offset && at < end)
                    {
                        ulong mask = 0xFFUL << (8 * b);
                        value = (value & ~mask) | ((ulong)data[(int)(at - offset)] << (8 * b));
                    }
                }

                WriteField(fieldOffset, value);
            }
        }
    }

    private static int FieldAt(uint offset)
    {
        for (int f = 0; f < Fields.Length; f++)
        {
            if (offset >= Fields[f].Offset && offset < Fields[f].Offset + (uint)Fields[f].Width)
            {
                return f;
            }
        }

        return -1;
    }

    private VirtQueueConfig? SelectedQueue => _queueSelect < _queues.Length ? _queues[_queueSelect] : null;

    private ulong ReadField(uint field)
    {
        VirtQueueConfig? q = SelectedQueue;
        return field switch
        {
            DeviceFeatureSelect => _deviceFeatureSelect,
            DeviceFeature => _deviceFeatureSelect switch
            {
                0 => (uint)_device.DeviceFeatures,
                1 => _device.DeviceFeatures >> 32,
                _ => 0,
            },
            DriverFeatureSelect => _driverFeatureSelect,
            DriverFeature => _driverFeatureSelect switch
            {
                0 => (uint)_driverFeatures,
                1 => _driverFeatures >> 32,
                _ => 0,
            },
            ConfigMsixVector => (ushort)_msixConfig,
            NumQueues => (ulong)_queues.Length,
            DeviceStatus => (byte)Volatile.Read(ref _status),
            ConfigGeneration => (byte)Volatile.Read(ref _configGeneration),
            QueueSelect => _queueSelect,
            // An out-of-range queue_select reads queue_size 0: "not available" (4.1.4.3.1).
            QueueSize => q?.Size ?? 0,
            QueueMsixVector => q?.MsixVector ?? VirtQueueConfig.NoVector,
            QueueEnable => q is { Ready: true } ? 1UL : 0,
            QueueNotifyOff => q is null ? 0UL : _queueSelect,
            QueueDesc => q?.DescriptorTable.Value ?? 0,
            QueueDriver => q?.DriverArea.Value ?? 0,
            QueueDevice => q?.DeviceArea.Value ?? 0,
            _ => 0,
        };
    }

    private void WriteField(uint field, ulong value)
    {
        VirtQueueConfig? q = SelectedQueue;
        switch (field)
        {
            case DeviceFeatureSelect:
                _deviceFeatureSelect = (uint)value;
                break;
            case DriverFeatureSelect:
                _driverFeatureSelect = (uint)value;
                break;
            case DriverFeature:
                WriteDriverFeatures((uint)value);
                break;
            case ConfigMsixVector:
                Volatile.Write(ref _msixConfig, ValidVector((ushort)value));
                break;
            case DeviceStatus:
                WriteStatus((byte)value);
                break;
            case QueueSelect:
                _queueSelect = (ushort)value;
                break;
            case QueueSize when q is not null && !q.Ready:
                ushort size = (ushort)value;
                if (size == 0 || !ushort.IsPow2(size) || size > q.MaxSize)
                {
                    Interlocked.Increment(ref _ignored);
                }
                else
                {
                    q.Size = size;
                }

                break;
            case QueueMsixVector when q is not null:
                q.MsixVector = ValidVector((ushort)value);
                break;
            case QueueEnable when q is not null:
                // Only 1 may be written (4.1.4.3.2); a queue is disabled by a device reset.
                if (value == 1)
                {
                    q.Ready = true;
                }
                else
                {
                    Interlocked.Increment(ref _ignored);
                }

                break;
            case QueueDesc when q is { Ready: false }:
                q.DescriptorTable = new(value);
                break;
            case QueueDriver when q is { Ready: false }:
                q.DriverArea = new(value);
                break;
            case QueueDevice when q is { Ready: false }:
                q.DeviceArea = new(value);
                break;
            default:
                // Read-only fields, registers of a queue that does not exist or is already enabled.
                Interlocked.Increment(ref _ignored);
                break;
        }
    }

    // The device answers VIRTIO_MSI_NO_VECTOR when it cannot map the vector (4.1.5.1.2).
    private ushort ValidVector(ushort vector)
    {
        if (vector == VirtQueueConfig.NoVector || vector < Msix.Count)
        {
            return vector;
        }

        Interlocked.Increment(ref _ignored);
        return VirtQueueConfig.NoVector;
    }

    private void WriteDriverFeatures(uint value)
    {
        if ((_status & (int)VirtioDeviceStatus.FeaturesOk) != 0 || _driverFeatureSelect > 1)
        {
            Interlocked.Increment(ref _ignored); // features are fixed once FEATURES_OK is set
            return;
        }

        int shift = (int)_driverFeatureSelect * 32;
        _driverFeatures = (_driverFeatures & ~(0xFFFF_FFFFUL << shift)) | ((ulong)value << shift);
    }

    private void WriteStatus(byte value)
    {
        if (value == 0)
        {
            ResetLocked();
            return;
        }

        const int featuresOk = (int)VirtioDeviceStatus.FeaturesOk, driverOk = (int)VirtioDeviceStatus.DriverOk;
        int old = Volatile.Read(ref _status);
        int next = value & ~(int)VirtioDeviceStatus.DeviceNeedsReset;

        // FEATURES_OK only for a subset of what the device offers that includes VERSION_1 (3.1.1, 6.1).
        if ((next & featuresOk) != 0 && (old & featuresOk) == 0)
        {
            ulong offered = _device.DeviceFeatures;
            if ((_driverFeatures & ~offered) != 0 || (_driverFeatures & VirtioFeatures.Version1) == 0)
            {
                next &= ~featuresOk;
                Interlocked.Increment(ref _ignored);
            }
        }

        // Once per reset: a driver that clears DRIVER_OK (2.1.2 forbids it) and sets it again gets no second activation.
        bool activate = (next & driverOk) != 0 && (old & driverOk) == 0 && !_activated;
        if (activate && (next & featuresOk) == 0)
        {
            next &= ~driverOk; // DRIVER_OK before a successful FEATURES_OK is refused
            activate = false;
            Interlocked.Increment(ref _ignored);
        }

        // DEVICE_NEEDS_RESET is the device's bit: keep it if a device thread set it meanwhile.
        int seen;
        do
        {
            seen = Volatile.Read(ref _status);
        }
        while (Interlocked.CompareExchange(ref _status, next | (seen & (int)VirtioDeviceStatus.DeviceNeedsReset), seen) != seen);

        if (activate)
        {
            _device.Activate(new VirtioActivation(_memory(), _driverFeatures, _queues, this));
            _activated = true;
        }
    }

    private void ResetLocked()
    {
        _activated = false;
        _device.Reset();
        foreach (VirtQueueConfig q in _queues)
        {
            q.Reset();
        }

        _deviceFeatureSelect = 0;
        _driverFeatureSelect = 0;
        _driverFeatures = 0;
        _queueSelect = 0;
        Volatile.Write(ref _msixConfig, VirtQueueConfig.NoVector);
        Volatile.Write(ref _status, 0);
        ClearIsr();
    }
}
