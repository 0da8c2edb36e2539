namespace SharpVmm.Devices.Virtio.Pci;

// The common configuration structure (virtio 1.2, 4.1.4.3): decodes its fields onto the shared
// VirtioTransportState (features, status, queues) and keeps the MSI-X vector fields.
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

    private int _msixConfig = VirtQueueConfig.NoVector;

    /// <summary>The device status byte.</summary>
    public VirtioDeviceStatus Status => _state.Status;

    /// <summary>The features the driver accepted (driver_feature, all 64 bits).</summary>
    public ulong DriverFeatures
    {
        get
        {
            lock (_lock)
            {
                return _state.DriverFeatures;
            }
        }
    }

    /// <summary>config_generation: bumped by every configuration change notification.</summary>
    public byte ConfigGenerationValue => (byte)_state.ConfigGeneration;

    /// <summary>Whether DRIVER_OK activated the device since the last reset (recorded once its activation returned).</summary>
    public bool IsActivated => _state.IsActivated;

    /// <summary>What the most recent failed activation threw (it set DEVICE_NEEDS_RESET); null if none failed.</summary>
    public Exception? ActivationFailure => _state.ActivationFailure;

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

    private ulong ReadField(uint field)
    {
        VirtQueueConfig? q = _state.SelectedQueue;
        return field switch
        {
            DeviceFeatureSelect => _state.DeviceFeaturesPage,
            DeviceFeature => _state.DeviceFeaturesWord,
            DriverFeatureSelect => _state.DriverFeaturesPage,
            DriverFeature => _state.DriverFeaturesWord,
            ConfigMsixVector => (ushort)_msixConfig,
            NumQueues => (ulong)_state.Queues.Count,
            DeviceStatus => (byte)_state.Status,
            ConfigGeneration => (byte)_state.ConfigGeneration,
            QueueSelect => (ushort)_state.QueueSelect,
            // An out-of-range queue_select reads queue_size 0: "not available" (4.1.4.3.1).
            QueueSize => q?.Size ?? 0,
            QueueMsixVector => q?.MsixVector ?? VirtQueueConfig.NoVector,
            QueueEnable => q is { Ready: true } ? 1UL : 0,
            QueueNotifyOff => q is null ? 0UL : _state.QueueSelect,
            QueueDesc => _state.QueueAddress(VirtQueueArea.DescriptorTable),
            QueueDriver => _state.QueueAddress(VirtQueueArea.DriverArea),
            QueueDevice => _state.QueueAddress(VirtQueueArea.DeviceArea),
            _ => 0,
        };
    }

    private void WriteField(uint field, ulong value)
    {
        bool done = true;
        switch (field)
        {
            case DeviceFeatureSelect:
                _state.DeviceFeaturesPage = (uint)value;
                break;
            case DriverFeatureSelect:
                _state.DriverFeaturesPage = (uint)value;
                break;
            case DriverFeature:
                done = _state.WriteDriverFeaturesWord((uint)value);
                break;
            case ConfigMsixVector:
                Volatile.Write(ref _msixConfig, ValidVector((ushort)value));
                break;
            case DeviceStatus:
                done = _state.WriteStatus((byte)value);
                break;
            case QueueSelect:
                _state.QueueSelect = (ushort)value;
                break;
            case QueueSize:
                done = _state.WriteQueueSize((ushort)value);
                break;
            case QueueMsixVector:
                done = WriteQueueMsixVector((ushort)value);
                break;
            case QueueEnable:
                done = _state.WriteQueueReady((ushort)value);
                break;
            case QueueDesc:
                done = _state.WriteQueueAddress(VirtQueueArea.DescriptorTable, value);
                break;
            case QueueDriver:
                done = _state.WriteQueueAddress(VirtQueueArea.DriverArea, value);
                break;
            case QueueDevice:
                done = _state.WriteQueueAddress(VirtQueueArea.DeviceArea, value);
                break;
            default:
                done = false; // read-only fields
                break;
        }

        if (!done)
        {
            Interlocked.Increment(ref _ignored);
        }
    }

    private bool WriteQueueMsixVector(ushort vector)
    {
        if (_state.SelectedQueue is not { } queue)
        {
            return false;
        }

        queue.MsixVector = ValidVector(vector);
        return true;
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
}
