using System.Buffers.Binary;
using System.Globalization;
using SharpVmm.Devices.Bus;
using SharpVmm.Memory;
using R = SharpVmm.Devices.Virtio.Mmio.VirtioMmioRegister;

namespace SharpVmm.Devices.Virtio.Mmio;

/// <summary>
/// The virtio-mmio transport, version 2 only (virtio 1.2, 4.2): a register window (<see cref="VirtioMmioRegister"/>)
/// that carries any <see cref="IVirtioDevice"/>. Register it on the MMIO bus over <see cref="WindowSize"/> bytes and tell
/// Linux where it is with <see cref="KernelCommandLineArgument"/>; its interrupt is an edge on an ISA IRQ.
/// </summary>
/// <remarks>
/// <para>
/// Registers below <see cref="VirtioMmioRegister.Config"/> take aligned 32-bit accesses only (4.2.2.2); any other access
/// is ignored, reads as 0 and is counted in <see cref="IgnoredGuestAccesses"/>, as are writes the driver may not make
/// (a queue register while the queue is ready, features after FEATURES_OK, a size that is not a power of two or exceeds
/// QueueNumMax). The configuration space at 0x100 takes any width.
/// </para>
/// <para>
/// Feature negotiation, the status state machine, activation, reset and queue programming are
/// <see cref="VirtioTransportState"/>'s, shared with virtio-pci; this class decodes the registers and owns the interrupt.
/// </para>
/// <para>
/// Threading: register accesses from vCPU threads are serialised by a lock; the <see cref="IVirtioInterrupt"/> members,
/// called from device threads, take no lock (the device's <see cref="IVirtioDevice.Reset"/> runs under it and may wait
/// for those threads), and the device's <see cref="IVirtioDevice.Notify"/> is called outside it.
/// </para>
/// </remarks>
public sealed class VirtioMmioDevice : IBusDevice, IVirtioTransport, IDisposable
{
    /// <summary>How many bytes of guest-physical space the platform maps per device (one page).</summary>
    public const int WindowSize = 0x1000;

    /// <summary>The register block proper; the rest of the window reads as the config space continues (0 past its end).</summary>
    public const int RegisterBlockSize = 0x200;

    /// <summary>MagicValue: "virt" (4.2.2).</summary>
    public const uint Magic = 0x7472_6976;

    /// <summary>The register layout version this transport implements (4.2.2: 2, non-legacy).</summary>
    public const uint Version = 2;

    /// <summary>The vendor ID most VMMs report ("QEMU", 0x554D4551).</summary>
    public const uint DefaultVendorId = 0x554D_4551;

    /// <summary>InterruptStatus bit 0, "Used Buffer Notification" (4.2.2).</summary>
    public const uint InterruptUsedBuffer = 1;

    /// <summary>InterruptStatus bit 1, "Configuration Change Notification" (4.2.2).</summary>
    public const uint InterruptConfigChange = 2;

    private readonly Lock _lock = new();
    private readonly IVirtioDevice _device;
    private readonly IInterruptLine _irq;
    private readonly VirtioTransportState _state;
    private int _interruptStatus; // Interlocked
    private long _ignored;

    /// <summary>Creates the transport for <paramref name="device"/>.</summary>
    /// <param name="device">The device model it carries; disposed with the transport.</param>
    /// <param name="memory">The guest's memory (the device gets it when the driver sets DRIVER_OK).</param>
    /// <param name="irq">The ISA interrupt line: each notification is an edge (high, then low).</param>
    /// <param name="vendorId">What VendorID reads.</param>
    public VirtioMmioDevice(IVirtioDevice device, GuestMemory memory, IInterruptLine irq, uint vendorId = DefaultVendorId)
    {
        ArgumentNullException.ThrowIfNull(irq);
        _device = device;
        _irq = irq;
        VendorId = vendorId;
        _state = new VirtioTransportState(device, memory, this, () => Raise(InterruptConfigChange),
            () => Volatile.Write(ref _interruptStatus, 0));
    }

    /// <inheritdoc />
    public IVirtioDevice Device => _device;

    /// <summary>What VendorID reads.</summary>
    public uint VendorId { get; }

    /// <summary>The queue registers as the driver programmed them, one per <see cref="IVirtioDevice.QueueMaxSizes"/> entry.</summary>
    public IReadOnlyList<VirtQueueConfig> Queues => _state.Queues;

    /// <summary>The status byte (2.1) as the driver reads it.</summary>
    public VirtioDeviceStatus Status => _state.Status;

    /// <summary>Whether DRIVER_OK activated the device since the last reset (recorded once its activation returned).</summary>
    public bool IsActivated => _state.IsActivated;

    /// <summary>What the most recent failed activation threw (it set DEVICE_NEEDS_RESET); null if none failed.</summary>
    public Exception? ActivationFailure => _state.ActivationFailure;

    /// <summary>ConfigGeneration: moves on with every configuration change notification.</summary>
    public uint ConfigGeneration => _state.ConfigGeneration;

    /// <summary>The features the driver accepted.</summary>
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

    /// <summary>The InterruptStatus register.</summary>
    public uint InterruptStatus => (uint)Volatile.Read(ref _interruptStatus);

    /// <summary>Guest accesses ignored as invalid (wrong width or alignment, writes the driver may not make).</summary>
    public long IgnoredGuestAccesses => Interlocked.Read(ref _ignored);

    /// <inheritdoc />
    public long IgnoredAccesses => IgnoredGuestAccesses;

    /// <summary>The offset of QueueNotify in the window; an ioeventfd on its address with data-match per queue index
    /// replaces the exit.</summary>
    public const ulong NotifyOffset = R.QueueNotify;

    /// <summary>The guest-physical address of QueueNotify for a device at <paramref name="baseAddress"/> (4-byte writes of
    /// the queue index).</summary>
    public static ulong NotifyAddress(ulong baseAddress) => baseAddress + NotifyOffset;

    /// <summary>
    /// The Linux command-line announcement of a device at <paramref name="baseAddress"/> with ISA IRQ <paramref name="irq"/>:
    /// <c>virtio_mmio.device=4K@0xd0000000:5</c> (drivers/virtio/virtio_mmio.c, "device=size@base:irq").
    /// </summary>
    public static string KernelCommandLineArgument(ulong baseAddress, uint irq) =>
        string.Create(CultureInfo.InvariantCulture, $"virtio_mmio.device={WindowSize / 1024}K@0x{baseAddress:x}:{irq}");

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        if (offset >= R.Config)
        {
            ReadConfigSpace(offset, data);
            return;
        }

        data.Clear();
        if (data.Length != sizeof(uint) || offset % sizeof(uint) != 0)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(data, ReadRegister((int)offset));
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= R.Config)
        {
            if (offset - R.Config < WindowSize)
            {
                _device.WriteConfig((uint)(offset - R.Config), data);
            }

            return;
        }

        if (data.Length != sizeof(uint) || offset % sizeof(uint) != 0)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        uint value = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (offset == R.QueueNotify)
        {
            Notify(value);
            return;
        }

        lock (_lock)
        {
            if (!WriteRegister((int)offset, value))
            {
                Interlocked.Increment(ref _ignored);
            }
        }
    }

    /// <inheritdoc />
    public void SignalUsedBuffers(int queueIndex) => Raise(InterruptUsedBuffer);

    /// <inheritdoc />
    public void SignalConfigChange() => _state.SignalConfigChange();

    /// <inheritdoc />
    public void SetNeedsReset() => _state.SetNeedsReset();

    /// <summary>
    /// The registers and, for an active device, its queue positions. Call with the VM paused (vCPUs parked and the
    /// device's workers paused).
    /// </summary>
    /// <exception cref="DeviceStateException">The device is active but cannot report its queue positions.</exception>
    public VirtioMmioState SaveState()
    {
        lock (_lock)
        {
            return new VirtioMmioState { InterruptStatus = InterruptStatus, Transport = _state.SaveState() };
        }
    }

    /// <summary>
    /// Puts a freshly built transport in <paramref name="state"/>, before the vCPUs run: InterruptStatus (no edge is sent:
    /// the interrupt controller's own state says whether the guest saw it), then the transport state, which activates a
    /// device the driver had started again with its queues at their saved positions.
    /// </summary>
    /// <exception cref="DeviceStateException">A field is invalid; nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The transport was used since it was made.</exception>
    public void RestoreState(VirtioMmioState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string d = $"virtio-mmio {_device.DeviceType}".ToLowerInvariant();
        VirtioTransportSavedState transport = DeviceStateException.Present(state.Transport, d, nameof(state.Transport));
        lock (_lock)
        {
            _state.Validate(transport);
            DeviceStateException.Require((state.InterruptStatus & ~(InterruptUsedBuffer | InterruptConfigChange)) == 0, d,
                nameof(state.InterruptStatus), "has bits other than 0 and 1");
            Volatile.Write(ref _interruptStatus, (int)state.InterruptStatus);
            _state.RestoreState(transport);
        }
    }

    /// <summary>Disposes the device model.</summary>
    public void Dispose() => _device.Dispose();

    private void ReadConfigSpace(ulong offset, Span<byte> data)
    {
        if (offset - R.Config < WindowSize)
        {
            _device.ReadConfig((uint)(offset - R.Config), data);
        }
        else
        {
            data.Clear();
        }
    }

    private void Notify(uint value)
    {
        // Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index (4.2.2); a device is told only once it runs.
        if (!_state.Notify(value))
        {
            Interlocked.Increment(ref _ignored);
        }
    }

    private void Raise(uint reason)
    {
        Interlocked.Or(ref _interruptStatus, (int)reason);
        _irq.SetLevel(true);
        _irq.SetLevel(false);
    }

    private uint ReadRegister(int offset)
    {
        lock (_lock)
        {
            return offset switch
            {
                R.MagicValue => Magic,
                R.Version => Version,
                R.DeviceId => (uint)_device.DeviceType,
                R.VendorId => VendorId,
                R.DeviceFeatures => _state.DeviceFeaturesWord,
                R.QueueNumMax => _state.SelectedQueue?.MaxSize ?? 0,
                R.QueueReady => _state.SelectedQueue is { Ready: true } ? 1u : 0,
                R.InterruptStatus => (uint)Volatile.Read(ref _interruptStatus),
                R.Status => (uint)_state.Status,
                R.ShmLenLow or R.ShmLenHigh or R.ShmBaseLow or R.ShmBaseHigh => uint.MaxValue, // no region (4.2.2)
                R.ConfigGeneration => _state.ConfigGeneration,
                _ => 0, // write-only and reserved registers
            };
        }
    }

    // Returns false for a write the driver may not make, which is then ignored.
    private bool WriteRegister(int offset, uint value)
    {
        switch (offset)
        {
            case R.DeviceFeaturesSel:
                _state.DeviceFeaturesPage = value;
                return true;
            case R.DriverFeaturesSel:
                _state.DriverFeaturesPage = value;
                return true;
            case R.DriverFeatures:
                return _state.WriteDriverFeaturesWord(value);
            case R.QueueSel:
                _state.QueueSelect = value;
                return true;
            case R.QueueNum:
                return _state.WriteQueueSize(value);
            case R.QueueReady:
                return _state.WriteQueueReady(value);
            case R.InterruptAck:
                Interlocked.And(ref _interruptStatus, ~(int)value);
                return true;
            case R.Status:
                return _state.WriteStatus((byte)value);
            case R.QueueDescLow or R.QueueDescHigh or R.QueueDriverLow or R.QueueDriverHigh or R.QueueDeviceLow or R.QueueDeviceHigh:
                return WriteQueueAddress(offset, value);
            case R.ShmSel:
                return true; // no device here has a shared memory region: every selection reads as absent
            default:
                return false; // read-only or reserved
        }
    }

    // The 64-bit ring addresses come in 32-bit halves: merge the half written into what the queue has.
    private bool WriteQueueAddress(int offset, uint value)
    {
        VirtQueueArea area = (offset & ~4) switch
        {
            R.QueueDescLow => VirtQueueArea.DescriptorTable,
            R.QueueDriverLow => VirtQueueArea.DriverArea,
            _ => VirtQueueArea.DeviceArea,
        };
        ulong old = _state.QueueAddress(area);
        ulong merged = (offset & 4) != 0 ? (old & 0xFFFF_FFFFUL) | ((ulong)value << 32) : (old & ~0xFFFF_FFFFUL) | value;
        return _state.WriteQueueAddress(area, merged);
    }
}
