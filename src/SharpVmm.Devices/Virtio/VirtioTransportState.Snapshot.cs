using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

// Saving and restoring the shared transport state (VirtioTransportSavedState).
public sealed partial class VirtioTransportState
{
    /// <summary>
    /// The registers and, for an activated device, each served queue's ring positions. Call under the transport's lock,
    /// with the VM paused (vCPUs parked, the device's workers paused).
    /// </summary>
    /// <exception cref="DeviceStateException">The device is active but cannot report its queue positions
    /// (it is not an <see cref="IVirtioQueueStateSource"/>).</exception>
    public VirtioTransportSavedState SaveState()
    {
        IReadOnlyList<VirtQueueState?> rings = [];
        if (_phase == Active)
        {
            if (_device is not IVirtioQueueStateSource source)
            {
                throw new DeviceStateException(DeviceName, "Queues", "cannot be saved: the active device does not report its queue positions");
            }

            rings = source.SaveQueueStates();
        }

        return new VirtioTransportSavedState
        {
            Status = (byte)Volatile.Read(ref _status),
            DriverFeatures = DriverFeatures,
            DeviceFeaturesPage = DeviceFeaturesPage,
            DriverFeaturesPage = DriverFeaturesPage,
            QueueSelect = QueueSelect,
            ConfigGeneration = ConfigGeneration,
            Activated = _phase == Active,
            ActivationFailed = _phase == ActivationFailed,
            Queues = [.. _queues.Select((q, i) => new VirtQueueConfigState
            {
                Size = q.Size,
                Ready = q.Ready,
                DescriptorTable = q.DescriptorTable.Value,
                DriverArea = q.DriverArea.Value,
                DeviceArea = q.DeviceArea.Value,
                MsixVector = q.MsixVector,
                Ring = i < rings.Count ? rings[i] : null,
            })],
        };
    }

    /// <summary>
    /// Puts a freshly built transport (never used since it was made) in <paramref name="state"/>. If the device had been
    /// activated, it is activated again exactly as DRIVER_OK does it, its queues continuing at the saved ring positions
    /// (<see cref="VirtioActivation.RestoredQueues"/>); nothing is reset and no interrupt is sent. Call under the
    /// transport's lock, before the vCPUs run.
    /// </summary>
    /// <exception cref="DeviceStateException">A field is invalid (<see cref="Validate"/>); nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The transport was used since it was made.</exception>
    public void RestoreState(VirtioTransportSavedState state)
    {
        Validate(state);

        for (int i = 0; i < _queues.Length; i++)
        {
            VirtQueueConfigState saved = state.Queues[i];
            VirtQueueConfig queue = _queues[i];
            queue.Size = saved.Size;
            queue.Ready = saved.Ready;
            queue.DescriptorTable = new GuestAddress(saved.DescriptorTable);
            queue.DriverArea = new GuestAddress(saved.DriverArea);
            queue.DeviceArea = new GuestAddress(saved.DeviceArea);
            queue.MsixVector = saved.MsixVector;
        }

        Volatile.Write(ref _driverFeatures, state.DriverFeatures);
        (DeviceFeaturesPage, DriverFeaturesPage, QueueSelect) = (state.DeviceFeaturesPage, state.DriverFeaturesPage, state.QueueSelect);
        Volatile.Write(ref _configGeneration, (int)state.ConfigGeneration);
        Volatile.Write(ref _status, state.Status);
        if (state.Activated)
        {
            Activate([.. state.Queues.Select(q => q.Ready ? q.Ring : null)]);
        }
        else if (state.ActivationFailed)
        {
            _phase = ActivationFailed;
        }
    }

    /// <summary>
    /// Checks <paramref name="state"/> as <see cref="RestoreState"/> does, without applying it: the status is one the
    /// state machine can reach, accepted features are offered, one queue entry per device queue with a power-of-two
    /// size within its maximum, and ring positions for every ready queue of an activated device.
    /// </summary>
    /// <exception cref="DeviceStateException">A field is invalid.</exception>
    /// <exception cref="InvalidOperationException">The transport was used since it was made.</exception>
    public void Validate(VirtioTransportSavedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_phase != Idle || Volatile.Read(ref _status) != 0)
        {
            throw new InvalidOperationException($"{DeviceName}: a state is restored into a freshly built transport only");
        }

        string d = DeviceName;
        List<VirtQueueConfigState> queues = DeviceStateException.Present(state.Queues, d, nameof(state.Queues));
        int status = state.Status;
        DeviceStateException.Require((status & ~DefinedBits) == 0 && InOrder(status), d, nameof(state.Status),
            $"0x{status:x2} is not a status the driver can reach");
        DeviceStateException.Require((status & FeaturesOk) == 0 || ((state.DriverFeatures & ~_device.DeviceFeatures) == 0
            && (state.DriverFeatures & VirtioFeatures.Required) == VirtioFeatures.Required), d, nameof(state.DriverFeatures),
            "were accepted with FEATURES_OK but are not acceptable to this device");
        DeviceStateException.Require(!(state.Activated && state.ActivationFailed), d, nameof(state.Activated), "and ActivationFailed are both set");
        DeviceStateException.Require(((status & DriverOk) != 0) == (state.Activated || state.ActivationFailed), d, nameof(state.Activated),
            "does not agree with DRIVER_OK in the status");
        DeviceStateException.Require(queues.Count == _queues.Length, d, nameof(state.Queues), $"has {queues.Count} entries, the device {_queues.Length} queues");
        for (int i = 0; i < queues.Count; i++)
        {
            VirtQueueConfigState? q = queues[i];
            string field = $"{nameof(state.Queues)}[{i}]";
            DeviceStateException.Require(q is not null, d, field, "is missing");
            DeviceStateException.Require(q!.Size != 0 && ushort.IsPow2(q.Size) && q.Size <= _queues[i].MaxSize, d, $"{field}.Size",
                $"{q.Size} is not a power of two of at most {_queues[i].MaxSize}");
            if (state.Activated && q.Ready)
            {
                VirtQueueState ring = DeviceStateException.Present(q.Ring, d, $"{field}.Ring");
                VirtQueue.ValidateState(ring, q.Size, d, $"{field}.Ring");
            }
        }
    }

    private string DeviceName => $"virtio-{_device.DeviceType}".ToLowerInvariant();
}
