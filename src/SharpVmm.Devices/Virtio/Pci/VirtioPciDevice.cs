using System.Buffers.Binary;
using SharpVmm.Devices.Pci;
using SharpVmm.Memory;
using L = SharpVmm.Devices.Virtio.Pci.VirtioPciLayout;

namespace SharpVmm.Devices.Virtio.Pci;

/// <summary>
/// The virtio-pci modern transport (virtio 1.2, 4.1) for any <see cref="IVirtioDevice"/>: PCI identity 1AF4:(1040 +
/// type), revision 1; capabilities for the common, notification, ISR, device-specific and PCI-configuration-access
/// structures and MSI-X; the structures in BAR 0 and the MSI-X table in BAR 1 (<see cref="VirtioPciLayout"/>). It is
/// the device's <see cref="IVirtioInterrupt"/>: with MSI-X enabled each queue signals its vector, otherwise the ISR
/// bits and the INTx line (level, lowered when the driver reads the ISR) tell the driver.
/// </summary>
/// <remarks>
/// Feature negotiation, the status state machine, activation, reset and queue programming are
/// <see cref="VirtioTransportState"/>'s, shared with virtio-mmio; this class decodes the structures and owns the
/// interrupts. Guest mistakes (unoffered features, out-of-range queue_select, a queue size that is not a power of two, a notify for
/// a queue that does not exist, accesses of odd sizes) are ignored and counted in <see cref="IgnoredAccesses"/>.
/// Interrupts never take the register lock, so <see cref="IVirtioDevice.Reset"/> may wait for a device thread that is
/// signalling.
/// </remarks>
public sealed partial class VirtioPciDevice : IPciDevice, IVirtioTransport
{
    private readonly Lock _lock = new();
    private readonly Lock _interruptLock = new();
    private readonly IVirtioDevice _device;
    private readonly IInterruptLine _intx;
    private readonly PciConfigSpace _config;
    private readonly VirtioTransportState _state;
    private readonly int _pciCfgCapability;
    private int _isr;
    private bool _lineHigh;
    private volatile bool _intxDisabled;
    private long _ignored;

    /// <summary>Creates the transport for <paramref name="device"/>.</summary>
    /// <param name="device">The device model.</param>
    /// <param name="memory">The guest's memory (the device gets it when the driver sets DRIVER_OK).</param>
    /// <param name="msiSink">Where MSI-X messages go.</param>
    /// <param name="intx">The INTA line of this device's slot (<see cref="PciLayout.IntxGsi"/>), level-triggered.</param>
    public VirtioPciDevice(IVirtioDevice device, GuestMemory memory, IMsiSink msiSink, IInterruptLine intx)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(msiSink);
        ArgumentNullException.ThrowIfNull(intx);
        int queueCount = device.QueueMaxSizes.Count;
        if (queueCount > L.NotifyMaxLength / L.NotifyOffMultiplier || device.ConfigSize is < 0 or > (int)L.DeviceConfigMaxLength)
        {
            throw new ArgumentException($"{device.DeviceType}: {queueCount} queues or {device.ConfigSize} bytes of configuration do not fit in BAR 0", nameof(device));
        }

        _device = device;
        _intx = intx;
        _state = new VirtioTransportState(device, memory, this, RaiseConfigInterrupt, ResetInterrupts);
        Msix = new MsixVectors(Math.Min(queueCount + 1, L.MaxMsixVectors), msiSink);

        _config = new PciConfigSpace(L.VendorId, (ushort)(L.DeviceIdBase + (uint)device.DeviceType), L.ClassCode(device.DeviceType),
            L.Revision, L.VendorId, L.SubsystemId, interruptPin: 1);
        _config.AddMemoryBar(0, L.Bar0Size);
        _config.AddMemoryBar(1, L.Bar1Size);
        Msix.AddCapability(_config, 1, L.MsixTableOffset, 1, L.MsixPbaOffset);
        AddVirtioCapability(L.CapCommonConfig, 0, L.CommonConfigOffset, L.CommonConfigLength, []);
        AddVirtioCapability(L.CapNotifyConfig, 0, L.NotifyOffset, (uint)Math.Max(queueCount, 1) * L.NotifyOffMultiplier,
            BitConverter.GetBytes(L.NotifyOffMultiplier));
        AddVirtioCapability(L.CapIsrConfig, 0, L.IsrOffset, L.IsrLength, []);
        if (device.ConfigSize > 0)
        {
            AddVirtioCapability(L.CapDeviceConfig, 0, L.DeviceConfigOffset, (uint)device.ConfigSize, []);
        }

        _pciCfgCapability = AddVirtioCapability(L.CapPciConfig, 0, 0, 0, [0, 0, 0, 0]);
        // virtio_pci_cfg_cap: bar, offset, length and pci_cfg_data are the driver's to write (4.1.4.9).
        _config.SetWritableMask(_pciCfgCapability + PciCfgBar, [0xFF]);
        _config.SetWritableMask(_pciCfgCapability + PciCfgOffset, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        _config.BarRelocated += OnBarRelocated;

        Bars =
        [
            new PciBar(0, L.Bar0Size, new PciBarRegion(ReadBar0, WriteBar0)),
            new PciBar(1, L.Bar1Size, new PciBarRegion(ReadBar1, WriteBar1)),
        ];
    }

    // virtio_pci_cap field offsets from the capability's start (4.1.4).
    private const int PciCfgBar = 4, PciCfgOffset = 8, PciCfgLength = 12, PciCfgData = 16;

    /// <inheritdoc/>
    public event Action<int, ulong, ulong>? BarRelocated;

    /// <summary>
    /// Raised when the notification registers move (BAR 0 relocated or its decoding switched): the old and new
    /// guest-physical address of queue 0's register, 0 meaning "not decoded". Queue q's is 4 * q further.
    /// </summary>
    public event Action<ulong, ulong>? NotifyRegionMoved;

    /// <inheritdoc/>
    public IReadOnlyList<PciBar> Bars { get; }

    /// <summary>The wrapped device.</summary>
    public IVirtioDevice Device => _device;

    /// <summary>The MSI-X vectors (queues + 1 for configuration changes).</summary>
    public MsixVectors Msix { get; }

    /// <summary>The queue registers the driver programs.</summary>
    public IReadOnlyList<VirtQueueConfig> Queues => _state.Queues;

    /// <summary>Number of guest accesses or values ignored as invalid.</summary>
    public long IgnoredAccesses => Interlocked.Read(ref _ignored);

    /// <summary>The ISR status byte as it stands (without clearing it).</summary>
    public byte IsrStatus => (byte)Volatile.Read(ref _isr);

    /// <summary>
    /// The guest-physical address of queue <paramref name="queueIndex"/>'s notification register (BAR 0 base +
    /// <see cref="VirtioPciLayout.NotifyOffset"/> + 4 * q), or 0 when BAR 0 is not decoded or the queue does not exist:
    /// what an ioeventfd is registered on.
    /// </summary>
    public ulong NotifyAddress(int queueIndex)
    {
        lock (_lock)
        {
            ulong bar = _config.DecodedBarAddress(0);
            return bar == 0 || (uint)queueIndex >= (uint)_state.Queues.Count ? 0 : bar + L.NotifyOffset + (L.NotifyOffMultiplier * (uint)queueIndex);
        }
    }

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        lock (_lock)
        {
            int dataAt = _pciCfgCapability + PciCfgData;
            if (offset < dataAt + 4 && offset + data.Length > dataAt)
            {
                PciCfgAccess(write: false);
            }

            _config.Read(offset, data);
        }
    }

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _config.Write(offset, data);
            _intxDisabled = _config.InterruptDisabled;
            Msix.UpdateFromConfig(_config);
            int dataAt = _pciCfgCapability + PciCfgData;
            if (offset < dataAt + 4 && offset + data.Length > dataAt)
            {
                PciCfgAccess(write: true);
            }
        }

        lock (_interruptLock)
        {
            UpdateLineLocked();
        }
    }

    private int AddVirtioCapability(byte type, byte bar, uint offset, uint length, ReadOnlySpan<byte> extra)
    {
        // struct virtio_pci_cap after cap_vndr and cap_next: cap_len, cfg_type, bar, id, padding[2], offset, length (4.1.4).
        Span<byte> body = stackalloc byte[14 + extra.Length];
        body.Clear();
        body[0] = (byte)(16 + extra.Length);
        body[1] = type;
        body[2] = bar;
        BinaryPrimitives.WriteUInt32LittleEndian(body[6..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body[10..], length);
        extra.CopyTo(body[14..]);
        return _config.AddCapability(L.VendorCapabilityId, body);
    }

    // VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): pci_cfg_data is a window onto cap.length bytes at cap.offset of BAR cap.bar.
    private void PciCfgAccess(bool write)
    {
        int cap = _pciCfgCapability;
        Span<byte> bar = stackalloc byte[1];
        _config.Read(cap + PciCfgBar, bar);
        uint offset = _config.ReadUInt32(cap + PciCfgOffset);
        uint length = _config.ReadUInt32(cap + PciCfgLength);
        if (length is not (1 or 2 or 4) || bar[0] > 1 || offset % length != 0)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        Span<byte> window = stackalloc byte[4];
        _config.Read(cap + PciCfgData, window);
        PciBar target = Bars[bar[0]];
        if ((ulong)offset + length > target.Size) // in 64 bits: offset 0xFFFFFFFC + 4 must not wrap to 0
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        if (write)
        {
            target.Region.Write(offset, window[..(int)length]);
        }
        else
        {
            window.Clear();
            target.Region.Read(offset, window[..(int)length]);
            _config.SetBytes(cap + PciCfgData, window);
        }
    }

    private void OnBarRelocated(int bar, ulong oldAddress, ulong newAddress)
    {
        BarRelocated?.Invoke(bar, oldAddress, newAddress);
        if (bar == 0)
        {
            NotifyRegionMoved?.Invoke(oldAddress == 0 ? 0 : oldAddress + L.NotifyOffset, newAddress == 0 ? 0 : newAddress + L.NotifyOffset);
        }
    }

    private void ReadBar0(ulong offset, Span<byte> data)
    {
        data.Clear();
        switch (offset)
        {
            case < L.CommonConfigOffset + L.CommonConfigLength:
                ReadCommonConfig((uint)offset, data);
                break;
            case >= L.IsrOffset and < L.IsrOffset + L.IsrLength:
                if (offset == L.IsrOffset)
                {
                    data[0] = ReadAndClearIsr();
                }

                break;
            case >= L.DeviceConfigOffset and < L.DeviceConfigOffset + L.DeviceConfigMaxLength:
                ReadDeviceConfig((uint)(offset - L.DeviceConfigOffset), data);
                break;
            default:
                break; // reserved and notify registers read as 0
        }
    }

    private void WriteBar0(ulong offset, ReadOnlySpan<byte> data)
    {
        switch (offset)
        {
            case < L.CommonConfigOffset + L.CommonConfigLength:
                WriteCommonConfig((uint)offset, data);
                break;
            case >= L.DeviceConfigOffset and < L.DeviceConfigOffset + L.DeviceConfigMaxLength:
                WriteDeviceConfig((uint)(offset - L.DeviceConfigOffset), data);
                break;
            case >= L.NotifyOffset and < L.NotifyOffset + L.NotifyMaxLength:
                NotifyQueue(offset - L.NotifyOffset);
                break;
            default:
                Interlocked.Increment(ref _ignored); // the ISR and reserved space are read-only
                break;
        }
    }

    private void ReadBar1(ulong offset, Span<byte> data)
    {
        if (offset < L.MsixPbaOffset)
        {
            Msix.ReadTable(offset - L.MsixTableOffset, data);
        }
        else
        {
            Msix.ReadPba(offset - L.MsixPbaOffset, data);
        }
    }

    private void WriteBar1(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset < L.MsixPbaOffset)
        {
            Msix.WriteTable(offset - L.MsixTableOffset, data);
        }
        else
        {
            Interlocked.Increment(ref _ignored); // the PBA is read-only
        }
    }

    private void NotifyQueue(ulong offset)
    {
        ulong queue = offset / L.NotifyOffMultiplier;
        if (offset % L.NotifyOffMultiplier != 0 || queue > uint.MaxValue || !_state.Notify((uint)queue))
        {
            Interlocked.Increment(ref _ignored);
        }
    }

    private void ReadDeviceConfig(uint offset, Span<byte> data)
    {
        int size = _device.ConfigSize;
        if (offset >= size)
        {
            return;
        }

        int length = (int)Math.Min((uint)data.Length, (uint)size - offset);
        _device.ReadConfig(offset, data[..length]);
    }

    private void WriteDeviceConfig(uint offset, ReadOnlySpan<byte> data)
    {
        int size = _device.ConfigSize;
        if (offset >= size)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        int length = (int)Math.Min((uint)data.Length, (uint)size - offset);
        _device.WriteConfig(offset, data[..length]);
    }
}
