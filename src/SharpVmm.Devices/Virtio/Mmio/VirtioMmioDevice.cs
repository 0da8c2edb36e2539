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
/// FEATURES_OK stays clear when the driver accepted a feature the device did not offer or did not accept
/// VIRTIO_F_VERSION_1 (a legacy driver); DRIVER_OK stays clear without FEATURES_OK. Setting DRIVER_OK activates the device
/// with the guest memory from the constructor's provider and the queues as programmed.
/// </para>
/// <para>
/// Threading: register accesses from vCPU threads are serialised by a lock; the <see cref="IVirtioInterrupt"/> members,
/// called from device threads, take no lock (the device's <see cref="IVirtioDevice.Reset"/> runs under it and may wait
/// for those threads), and the device's <see cref="IVirtioDevice.Notify"/> is called outside it.
/// </para>
/// </remarks>
public sealed class VirtioMmioDevice : IBusDevice, IVirtioInterrupt, IDisposable
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
    private readonly Func<GuestMemory> _memory;
    private readonly IInterruptLine _irq;
    private readonly VirtQueueConfig[] _queues;
    private uint _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _shmSel;
    private ulong _driverFeatures;
    private bool _activated;
    private int _status;          // Interlocked: device threads set DEVICE_NEEDS_RESET
    private int _interruptStatus; // Interlocked
    private int _configGeneration;
    private long _ignored;

    /// <summary>Creates the transport for <paramref name="device"/>.</summary>
    /// <param name="device">The device model it carries; disposed with the transport.</param>
    /// <param name="memory">Gives the guest's memory when the driver sets DRIVER_OK (it exists only once the VM is built).</param>
    /// <param name="irq">The ISA interrupt line: each notification is an edge (high, then low).</param>
    /// <param name="vendorId">What VendorID reads.</param>
    public VirtioMmioDevice(IVirtioDevice device, Func<GuestMemory> memory, IInterruptLine irq, uint vendorId = DefaultVendorId)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(irq);
        _device = device;
        _memory = memory;
        _irq = irq;
        VendorId = vendorId;
        _queues = device.QueueMaxSizes.Select(max => new VirtQueueConfig(max)).ToArray();
    }

    /// <summary>The device model this transport carries.</summary>
    public IVirtioDevice Device => _device;

    /// <summary>What VendorID reads.</summary>
    public uint VendorId { get; }

    /// <summary>The queue registers as the driver programmed them, one per <see cref="IVirtioDevice.QueueMaxSizes"/> entry.</summary>
    public IReadOnlyList<VirtQueueConfig> Queues => _queues;

    /// <summary>The status byte (2.1) as the driver reads it.</summary>
    public VirtioDeviceStatus Status => (VirtioDeviceStatus)Volatile.Read(ref _status);

    /// <summary>The features the driver accepted.</summary>
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

    /// <summary>The InterruptStatus register.</summary>
    public uint InterruptStatus => (uint)Volatile.Read(ref _interruptStatus);

    /// <summary>Guest accesses ignored as invalid (wrong width or alignment, writes the driver may not make).</summary>
    public long IgnoredGuestAccesses => Interlocked.Read(ref _ignored);

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
    public void SignalConfigChange()
    {
        Interlocked.Increment(ref _configGeneration);
        Raise(InterruptConfigChange);
    }

    /// <inheritdoc />
    public void SetNeedsReset()
    {
        Interlocked.Or(ref _status, (int)VirtioDeviceStatus.DeviceNeedsReset);
        SignalConfigChange();
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
        if (value < (uint)_queues.Length && (Volatile.Read(ref _status) & (int)VirtioDeviceStatus.DriverOk) != 0)
        {
            _device.Notify((int)value);
        }
        else
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

    private VirtQueueConfig? SelectedQueue => _queueSel < (uint)_queues.Length ? _queues[_queueSel] : null;

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
                R.DeviceFeatures => _deviceFeaturesSel < 2 ? (uint)(_device.DeviceFeatures >> (int)(32 * _deviceFeaturesSel)) : 0,
                R.QueueNumMax => SelectedQueue?.MaxSize ?? 0,
                R.QueueReady => SelectedQueue is { Ready: true } ? 1u : 0,
                R.InterruptStatus => (uint)Volatile.Read(ref _interruptStatus),
                R.Status => (uint)Volatile.Read(ref _status),
                R.ShmLenLow or R.ShmLenHigh or R.ShmBaseLow or R.ShmBaseHigh => uint.MaxValue, // no region (4.2.2)
                R.ConfigGeneration => (uint)Volatile.Read(ref _configGeneration),
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
                _deviceFeaturesSel = value;
                return true;
            case R.DriverFeaturesSel:
                _driverFeaturesSel = value;
                return true;
            case R.DriverFeatures:
                return WriteDriverFeatures(value);
            case R.QueueSel:
                _queueSel = value;
                return true;
            case R.QueueNum:
                return WriteQueueNum(value);
            case R.QueueReady:
                if (SelectedQueue is not { } queue || (_activated && value != 0))
                {
                    return false;
                }

                queue.Ready = value != 0;
                return true;
            case R.InterruptAck:
                Interlocked.And(ref _interruptStatus, ~(int)value);
                return true;
            case R.Status:
                WriteStatus(value);
                return true;
            case R.QueueDescLow or R.QueueDescHigh or R.QueueDriverLow or R.QueueDriverHigh or R.QueueDeviceLow or R.QueueDeviceHigh:
                return WriteQueueAddress(offset, value);
            case R.ShmSel:
                _shmSel = value;
                return true;
            default:
                return false; // read-only or reserved
        }
    }

    private bool WriteDriverFeatures(uint value)
    {
        if (_driverFeaturesSel >= 2 || (Volatile.Read(ref _status) & (int)VirtioDeviceStatus.FeaturesOk) != 0)
        {
            return _driverFeaturesSel >= 2 && value == 0; // zeros for bits the device has none of are harmless
        }

        int shift = (int)(32 * _driverFeaturesSel);
        _driverFeatures = (_driverFeatures & ~(0xFFFF_FFFFUL << shift)) | ((ulong)value << shift);
        return true;
    }

    private bool WriteQueueNum(uint value)
    {
        // A split virtqueue's size is a power of two (2.7) no larger than QueueNumMax (4.2.3.2).
        if (SelectedQueue is not { Ready: false } queue || value == 0 || value > queue.MaxSize || (value & (value - 1)) != 0)
        {
            return false;
        }

        queue.Size = (ushort)value;
        return true;
    }

    private bool WriteQueueAddress(int offset, uint value)
    {
        if (SelectedQueue is not { Ready: false } queue)
        {
            return false; // the driver may program a queue only while it is not ready (4.2.3.2)
        }

        bool high = (offset & 4) != 0;
        static GuestAddress Merge(GuestAddress old, uint value, bool high) => new(high
            ? (old.Value & 0xFFFF_FFFFUL) | ((ulong)value << 32)
            : (old.Value & ~0xFFFF_FFFFUL) | value);

        switch (offset & ~4)
        {
            case R.QueueDescLow:
                queue.DescriptorTable = Merge(queue.DescriptorTable, value, high);
                break;
            case R.QueueDriverLow:
                queue.DriverArea = Merge(queue.DriverArea, value, high);
                break;
            default:
                queue.DeviceArea = Merge(queue.DeviceArea, value, high);
                break;
        }

        return true;
    }

    private void WriteStatus(uint value)
    {
        if ((byte)value == 0)
        {
            ResetLocked();
            return;
        }

        const int NeedsReset = (int)VirtioDeviceStatus.DeviceNeedsReset;
        const int FeaturesOk = (int)VirtioDeviceStatus.FeaturesOk;
        const int DriverOk = (int)VirtioDeviceStatus.DriverOk;
        int old = Volatile.Read(ref _status);
        int next = (int)(value & 0xFF) & ~NeedsReset;
        if ((next & FeaturesOk) != 0 && (old & FeaturesOk) == 0 && !FeaturesAcceptable())
        {
            next &= ~FeaturesOk; // 3.1.1 step 6: the driver reads it back and sees the device refused
        }

        if ((next & DriverOk) != 0 && (next & FeaturesOk) == 0)
        {
            next &= ~DriverOk;
        }

        bool activate = (next & DriverOk) != 0 && !_activated;
        int seen;
        while ((seen = Interlocked.CompareExchange(ref _status, next | (old & NeedsReset), old)) != old)
        {
            old = seen; // a device thread set DEVICE_NEEDS_RESET meanwhile: keep it
        }

        if (activate)
        {
            _activated = true;
            _device.Activate(new VirtioActivation(_memory(), _driverFeatures, _queues, this));
        }
    }

    private bool FeaturesAcceptable() =>
        (_driverFeatures & ~_device.DeviceFeatures) == 0 && (_driverFeatures & VirtioFeatures.Version1) != 0;

    private void ResetLocked()
    {
        _device.Reset();
        foreach (VirtQueueConfig queue in _queues)
        {
            queue.Reset();
        }

        _activated = false;
        _driverFeatures = 0;
        _deviceFeaturesSel = _driverFeaturesSel = _queueSel = _shmSel = 0;
        Volatile.Write(ref _interruptStatus, 0);
        Volatile.Write(ref _status, 0);
    }
}
