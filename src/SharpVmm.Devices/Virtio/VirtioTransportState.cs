using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// The part of a virtio transport that does not depend on how registers are laid out: feature paging and negotiation,
/// the device status state machine, activation and reset, queue selection and programming, the configuration generation
/// and DEVICE_NEEDS_RESET (virtio 1.2, 2.1, 2.2, 3.1, 4.1.4.3 and 4.2.2). The virtio-pci and virtio-mmio transports
/// decode their registers and call in here, so both behave the same.
/// </summary>
/// <remarks>
/// <para>
/// Features are paged 32 bits at a time. Pages 0 and 1 hold the 64 feature bits; pages 2 and above read as 0, and
/// writes there are dropped (a write of 0 is harmless and accepted, any other value is refused).
/// </para>
/// <para>
/// Status: writing 0 resets the device and every queue. Any other write must keep every bit already set (2.1.2: the
/// driver never clears a bit), use no reserved bit and follow the order of 3.1.1 (ACKNOWLEDGE, DRIVER, FEATURES_OK,
/// DRIVER_OK; FAILED at any time); several steps may come in one write. FEATURES_OK is refused, and stays clear, when
/// the driver accepted a feature the device does not offer or left out one it requires (<see cref="VirtioFeatures.Required"/>);
/// DRIVER_OK is refused without FEATURES_OK. DRIVER_OK activates the device once per reset; the activation is recorded
/// (<see cref="IsActivated"/>) only once <see cref="IVirtioDevice.Activate"/> has returned. An activation that throws
/// sets DEVICE_NEEDS_RESET, as does a device that reports a broken queue (<see cref="SetNeedsReset"/>); either way the
/// driver gets one configuration change notification.
/// </para>
/// <para>
/// Queues: writing 1 to queue-ready enables the selected queue and writing 0 disables it while the device is not
/// running, so the driver may program it again (4.2.2.2). Once DRIVER_OK has activated the device, its queues are fixed
/// until the next reset: the device cannot stop one queue alone (no VIRTIO_F_RING_RESET), so writing 0 to a ready queue
/// is refused and the queue goes on reading 1, which is what the driver reads back to see whether the device stopped.
/// </para>
/// <para>
/// Every method that takes a driver write returns false when the write was refused or ignored, for the transport to
/// count. Threading: the register methods run under the transport's lock; <see cref="SetNeedsReset"/>,
/// <see cref="SignalConfigChange"/>, <see cref="Notify"/> and the read-only properties take no lock and may be called
/// from any thread (the device's <see cref="IVirtioDevice.Reset"/>, called under the transport's lock, may wait for a
/// device thread that is signalling).
/// </para>
/// </remarks>
public sealed partial class VirtioTransportState
{
    /// <summary>How many 32-bit feature pages hold feature bits (64 bits).</summary>
    public const uint FeaturePages = 2;

    private const int Acknowledge = (int)VirtioDeviceStatus.Acknowledge, Driver = (int)VirtioDeviceStatus.Driver;
    private const int FeaturesOk = (int)VirtioDeviceStatus.FeaturesOk, DriverOk = (int)VirtioDeviceStatus.DriverOk;
    private const int NeedsReset = (int)VirtioDeviceStatus.DeviceNeedsReset, Failed = (int)VirtioDeviceStatus.Failed;
    private const int DefinedBits = Acknowledge | Driver | FeaturesOk | DriverOk | NeedsReset | Failed;

    // Where the device is in its reset cycle.
    private const int Idle = 0, Activating = 1, Active = 2, ActivationFailed = 3;

    private readonly IVirtioDevice _device;
    private readonly GuestMemory _memory;
    private readonly IVirtioInterrupt _interrupt;
    private readonly Action _raiseConfigInterrupt;
    private readonly Action _resetInterrupts;
    private readonly VirtQueueConfig[] _queues;
    private ulong _driverFeatures;
    private int _status;           // Interlocked: device threads set DEVICE_NEEDS_RESET
    private int _configGeneration; // Interlocked
    private volatile int _phase;

    /// <summary>Creates the state of a transport carrying <paramref name="device"/>, in the reset state.</summary>
    /// <param name="device">The device model; activated at DRIVER_OK, reset when the driver writes status 0.</param>
    /// <param name="memory">The guest's memory, handed to the device at DRIVER_OK.</param>
    /// <param name="interrupt">The transport, as the device's way back to the driver (<see cref="VirtioActivation.Interrupt"/>).</param>
    /// <param name="raiseConfigInterrupt">Delivers a configuration change interrupt the transport's way (ISR bit and
    /// line, MSI-X vector, InterruptStatus and edge); called from any thread.</param>
    /// <param name="resetInterrupts">Clears the transport's interrupt state on a device reset (called under its lock).</param>
    public VirtioTransportState(IVirtioDevice device, GuestMemory memory, IVirtioInterrupt interrupt, Action raiseConfigInterrupt,
        Action resetInterrupts)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(interrupt);
        ArgumentNullException.ThrowIfNull(raiseConfigInterrupt);
        ArgumentNullException.ThrowIfNull(resetInterrupts);
        _device = device;
        _memory = memory;
        _interrupt = interrupt;
        _raiseConfigInterrupt = raiseConfigInterrupt;
        _resetInterrupts = resetInterrupts;
        _queues = [.. device.QueueMaxSizes.Select(max => new VirtQueueConfig(max))];
    }

    /// <summary>The device model.</summary>
    public IVirtioDevice Device => _device;

    /// <summary>The queue registers as the driver programmed them, one per <see cref="IVirtioDevice.QueueMaxSizes"/> entry.</summary>
    public IReadOnlyList<VirtQueueConfig> Queues => _queues;

    /// <summary>The device status byte (2.1) as the driver reads it.</summary>
    public VirtioDeviceStatus Status => (VirtioDeviceStatus)Volatile.Read(ref _status);

    /// <summary>The features the driver accepted (all 64 bits).</summary>
    public ulong DriverFeatures => Volatile.Read(ref _driverFeatures);

    /// <summary>Whether DRIVER_OK activated the device since the last reset (set once <see cref="IVirtioDevice.Activate"/> returned).</summary>
    public bool IsActivated => _phase == Active;

    /// <summary>What the most recent failed activation threw (kept across resets, for a report); null if none failed.</summary>
    public Exception? ActivationFailure { get; private set; }

    /// <summary>The configuration generation: moves on with every configuration change notification.</summary>
    public uint ConfigGeneration => (uint)Volatile.Read(ref _configGeneration);

    /// <summary>Which 32-bit page of the device's features <see cref="DeviceFeaturesWord"/> shows (any value).</summary>
    public uint DeviceFeaturesPage { get; set; }

    /// <summary>Which 32-bit page of the driver's features <see cref="DriverFeaturesWord"/> and
    /// <see cref="WriteDriverFeaturesWord"/> refer to (any value).</summary>
    public uint DriverFeaturesPage { get; set; }

    /// <summary>The selected page of the device's features; 0 for pages of <see cref="FeaturePages"/> and above.</summary>
    public uint DeviceFeaturesWord => Page(_device.DeviceFeatures, DeviceFeaturesPage);

    /// <summary>The selected page of the driver's features; 0 for pages of <see cref="FeaturePages"/> and above.</summary>
    public uint DriverFeaturesWord => Page(DriverFeatures, DriverFeaturesPage);

    /// <summary>The queue the queue registers refer to (any value; one past the last queue reads as no queue).</summary>
    public uint QueueSelect { get; set; }

    /// <summary>The selected queue, or null when <see cref="QueueSelect"/> names none.</summary>
    public VirtQueueConfig? SelectedQueue => QueueSelect < (uint)_queues.Length ? _queues[QueueSelect] : null;

    /// <summary>Whether notifications reach the device now: from DRIVER_OK (during and after its activation) until reset.</summary>
    public bool AcceptsNotifications => _phase is Activating or Active;

    /// <summary>Writes the selected page of the driver's features. Refused once FEATURES_OK is set (3.1.1: features are
    /// fixed then); dropped on pages of <see cref="FeaturePages"/> and above (refused unless 0).</summary>
    public bool WriteDriverFeaturesWord(uint value)
    {
        if ((Volatile.Read(ref _status) & FeaturesOk) != 0)
        {
            return false;
        }

        if (DriverFeaturesPage >= FeaturePages)
        {
            return value == 0;
        }

        int shift = (int)(32 * DriverFeaturesPage);
        Volatile.Write(ref _driverFeatures, (_driverFeatures & ~(0xFFFF_FFFFUL << shift)) | ((ulong)value << shift));
        return true;
    }

    /// <summary>Sets the selected queue's size: a power of two no larger than its maximum (2.7), while it is not ready.</summary>
    public bool WriteQueueSize(uint size)
    {
        if (SelectedQueue is not { Ready: false } queue || size == 0 || size > queue.MaxSize || !uint.IsPow2(size))
        {
            return false;
        }

        queue.Size = (ushort)size;
        return true;
    }

    /// <summary>The selected queue's <paramref name="area"/> address, 0 when no queue is selected.</summary>
    public ulong QueueAddress(VirtQueueArea area) => SelectedQueue is not { } queue ? 0 : area switch
    {
        VirtQueueArea.DescriptorTable => queue.DescriptorTable.Value,
        VirtQueueArea.DriverArea => queue.DriverArea.Value,
        _ => queue.DeviceArea.Value,
    };

    /// <summary>Sets the selected queue's <paramref name="area"/> address, while the queue is not ready (4.2.2.2, 4.1.4.3.2).</summary>
    public bool WriteQueueAddress(VirtQueueArea area, ulong address)
    {
        if (SelectedQueue is not { Ready: false } queue)
        {
            return false;
        }

        var value = new GuestAddress(address);
        switch (area)
        {
            case VirtQueueArea.DescriptorTable:
                queue.DescriptorTable = value;
                break;
            case VirtQueueArea.DriverArea:
                queue.DriverArea = value;
                break;
            default:
                queue.DeviceArea = value;
                break;
        }

        return true;
    }

    /// <summary>
    /// Queue-ready (QueueReady, queue_enable): 1 enables the selected queue, 0 disables it, while the device is not
    /// running. Once activated the queues stay as they were until reset: a write that would change one is refused.
    /// </summary>
    public bool WriteQueueReady(uint value)
    {
        if (SelectedQueue is not { } queue || value > 1)
        {
            return false;
        }

        bool ready = value == 1;
        if (_phase != Idle)
        {
            return queue.Ready == ready;
        }

        queue.Ready = ready;
        return true;
    }

    /// <summary>A driver write of the status byte: 0 resets; other values step the state machine (see the remarks).</summary>
    public bool WriteStatus(byte value)
    {
        if (value == 0)
        {
            Reset();
            return true;
        }

        int old = Volatile.Read(ref _status);
        int had = old & ~NeedsReset;
        int next = value & ~NeedsReset; // DEVICE_NEEDS_RESET is the device's bit: the driver's copy means nothing
        if ((next & ~DefinedBits) != 0 || (next & had) != had || !InOrder(next))
        {
            return false;
        }

        bool accepted = true;
        if ((next & ~had & FeaturesOk) != 0 && !FeaturesAcceptable())
        {
            next &= ~(FeaturesOk | DriverOk); // 3.1.1 step 6: the driver reads it back and sees the device refused
            accepted = false;
        }

        bool activate = (next & ~had & DriverOk) != 0;
        if (activate && ((old & NeedsReset) != 0 || _phase != Idle))
        {
            next &= ~DriverOk; // a device that needs a reset is not started
            activate = false;
            accepted = false;
        }

        int seen;
        while ((seen = Interlocked.CompareExchange(ref _status, next | (old & NeedsReset), old)) != old)
        {
            old = seen; // a device thread set DEVICE_NEEDS_RESET meanwhile: keep it
        }

        if (activate)
        {
            Activate(restoredQueues: null);
        }

        return accepted;
    }

    /// <summary>An available buffer notification for <paramref name="queueIndex"/>: passed to the device if it has that
    /// queue and <see cref="AcceptsNotifications"/>; false (ignored) otherwise.</summary>
    public bool Notify(uint queueIndex)
    {
        if (queueIndex >= (uint)_queues.Length || !AcceptsNotifications)
        {
            return false;
        }

        _device.Notify((int)queueIndex);
        return true;
    }

    /// <summary>A configuration change notification (2.3.1): the generation moves on, then the transport interrupts.</summary>
    public void SignalConfigChange()
    {
        Interlocked.Increment(ref _configGeneration);
        _raiseConfigInterrupt();
    }

    /// <summary>Sets DEVICE_NEEDS_RESET (2.1.1) and, the first time since the last reset, sends a configuration change
    /// notification so that the driver looks at the status.</summary>
    public void SetNeedsReset()
    {
        if ((Interlocked.Or(ref _status, NeedsReset) & NeedsReset) == 0)
        {
            SignalConfigChange();
        }
    }

    /// <summary>Resets the device and every queue, the selectors, the features and the transport's interrupt state;
    /// the status reads 0 once the device no longer touches guest memory. A device whose thread did not stop in time
    /// (its <see cref="IDeviceHealth.Failure"/> is a <see cref="DeviceStopTimeoutException"/>) reads DEVICE_NEEDS_RESET
    /// instead, never 0 (its reset is not complete), and cannot be started again.</summary>
    public void Reset()
    {
        _phase = Idle; // notifications stop reaching the device first
        _device.Reset();
        foreach (VirtQueueConfig queue in _queues)
        {
            queue.Reset();
        }

        Volatile.Write(ref _driverFeatures, 0);
        DeviceFeaturesPage = DriverFeaturesPage = QueueSelect = 0;
        _resetInterrupts();
        Volatile.Write(ref _status, 0);
        if (_device is IDeviceHealth { Failure: DeviceStopTimeoutException })
        {
            SetNeedsReset();
        }
    }

    private static uint Page(ulong features, uint page) => page < FeaturePages ? (uint)(features >> (int)(32 * page)) : 0;

    // 3.1.1: each step needs the one before it; FAILED may come at any point.
    private static bool InOrder(int status) =>
        ((status & Driver) == 0 || (status & Acknowledge) != 0)
        && ((status & FeaturesOk) == 0 || (status & Driver) != 0)
        && ((status & DriverOk) == 0 || (status & FeaturesOk) != 0);

    private bool FeaturesAcceptable() =>
        (_driverFeatures & ~_device.DeviceFeatures) == 0 && (_driverFeatures & VirtioFeatures.Required) == VirtioFeatures.Required;

    // DRIVER_OK's activation, or a restore's (with the saved ring positions): the same path either way.
    private void Activate(IReadOnlyList<VirtQueueState?>? restoredQueues)
    {
        _phase = Activating; // notifications during Activate reach the device: its threads may already wait for them
        try
        {
            _device.Activate(new VirtioActivation(_memory, _driverFeatures, _queues, _interrupt) { RestoredQueues = restoredQueues });
        }
#pragma warning disable CA1031 // a device that cannot start is the guest's to see (DEVICE_NEEDS_RESET), not a vCPU thread's to crash on
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            ActivationFailure = ex;
            _phase = ActivationFailed;
            SetNeedsReset();
            return;
        }

        _phase = Active;
    }
}
