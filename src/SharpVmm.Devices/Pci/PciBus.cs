using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Pci;

/// <summary>
/// PCI bus 0: the host bridge at 00:00.0 and up to 31 devices, function 0 each. It places every BAR in the MMIO window,
/// naturally aligned, when a device is added (as firmware would, memory decoding on), and keeps each BAR's MMIO
/// registration where the guest decodes it: moved when the guest reprograms the BAR, removed while memory decoding is
/// off. A BAR the guest moves onto another device's range is left undecoded and counted (<see cref="BarConflicts"/>).
/// </summary>
public sealed class PciBus
{
    private readonly Lock _lock = new();
    private readonly MmioBus _mmio;
    private readonly IPciDevice?[] _slots = new IPciDevice?[PciLayout.SlotCount];
    private readonly ulong[,] _registered = new ulong[PciLayout.SlotCount, PciConfigSpace.BarCount];
    private readonly ulong _windowEnd;
    private ulong _nextFree;
    private long _barConflicts;

    /// <summary>
    /// Creates the bus with its host bridge; BARs go in [<paramref name="windowBase"/>, +<paramref name="windowSize"/>)
    /// (default: <see cref="PciLayout.MmioWindowBase"/>, <see cref="PciLayout.MmioWindowSize"/>) and answer on <paramref name="mmio"/>.
    /// </summary>
    public PciBus(MmioBus mmio, ulong windowBase = PciLayout.MmioWindowBase, ulong windowSize = PciLayout.MmioWindowSize)
    {
        ArgumentNullException.ThrowIfNull(mmio);
        ArgumentOutOfRangeException.ThrowIfZero(windowSize);
        if (windowBase + windowSize - 1 > uint.MaxValue)
        {
            throw new ArgumentException("the window of 32-bit BARs must lie below 4 GiB", nameof(windowSize));
        }

        _mmio = mmio;
        _nextFree = windowBase;
        _windowEnd = windowBase + windowSize;
        HostBridge = new PciHostBridgeFunction();
        _slots[PciLayout.HostBridgeSlot] = HostBridge;
    }

    /// <summary>The host bridge function at 00:00.0.</summary>
    public PciHostBridgeFunction HostBridge { get; }

    /// <summary>Number of times a guest-programmed BAR overlapped another registration and was left undecoded.</summary>
    public long BarConflicts => Interlocked.Read(ref _barConflicts);

    /// <summary>Called with a line of text when a BAR cannot be decoded where the guest put it.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The lowest free device number, or -1 when the bus is full.</summary>
    public int NextFreeSlot
    {
        get
        {
            lock (_lock)
            {
                return Array.FindIndex(_slots, PciLayout.FirstDeviceSlot, s => s is null);
            }
        }
    }

    /// <summary>The device numbers in use by devices (the host bridge excluded), ascending.</summary>
    public IReadOnlyList<int> DeviceSlots
    {
        get
        {
            lock (_lock)
            {
                return [.. Enumerable.Range(PciLayout.FirstDeviceSlot, PciLayout.SlotCount - PciLayout.FirstDeviceSlot).Where(s => _slots[s] is not null)];
            }
        }
    }

    /// <summary>The device at <paramref name="slot"/>, or null.</summary>
    public IPciDevice? DeviceAt(int slot) => slot is >= 0 and < PciLayout.SlotCount ? Volatile.Read(ref _slots[slot]) : null;

    /// <summary>
    /// Puts <paramref name="device"/> at device number <paramref name="slot"/>, places its BARs in the window and turns
    /// memory decoding on, so the BARs answer from the start.
    /// </summary>
    /// <exception cref="PciConfigurationException">The slot is out of range or taken, or the window is full.</exception>
    public void Add(int slot, IPciDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var addresses = new List<(int Index, uint Address)>();
        lock (_lock)
        {
            if (slot is < PciLayout.FirstDeviceSlot or >= PciLayout.SlotCount)
            {
                throw new PciConfigurationException($"PCI slot {slot} is not in [{PciLayout.FirstDeviceSlot}, {PciLayout.SlotCount - 1}]");
            }

            if (_slots[slot] is not null)
            {
                throw new PciConfigurationException($"PCI slot {slot} is taken by {_slots[slot]!.GetType().Name}");
            }

            ulong next = _nextFree;
            foreach (PciBar bar in device.Bars.OrderByDescending(b => b.Size))
            {
                ulong at = (next + bar.Size - 1) & ~((ulong)bar.Size - 1);
                if (at + bar.Size > _windowEnd)
                {
                    throw new PciConfigurationException(
                        $"the PCI MMIO window (ends 0x{_windowEnd:x}) has no room for BAR {bar.Index} ({bar.Size} bytes) of slot {slot}");
                }

                addresses.Add((bar.Index, (uint)at));
                next = at + bar.Size;
            }

            _nextFree = next;
            _slots[slot] = device;
            device.BarRelocated += (bar, _, address) => OnBarRelocated(slot, device, bar, address);
        }

        // Outside the bus lock: the device raises BarRelocated under its own lock, which then takes the bus lock.
        foreach ((int index, uint address) in addresses)
        {
            device.WriteConfig(PciConfigSpace.Bar0Offset + (4 * index), BitConverter.GetBytes(address));
        }

        Span<byte> command = stackalloc byte[2];
        device.ReadConfig(PciConfigSpace.CommandOffset, command);
        command[0] |= (byte)PciConfigSpace.CommandMemorySpace;
        device.WriteConfig(PciConfigSpace.CommandOffset, command);
    }

    /// <summary>
    /// A configuration read from bus <paramref name="bus"/>, device <paramref name="slot"/>, function
    /// <paramref name="function"/>: an absent device (or any bus but 0, any function but 0) reads as all ones.
    /// </summary>
    public void ReadConfig(int bus, int slot, int function, int offset, Span<byte> data)
    {
        IPciDevice? device = bus == 0 && function == 0 ? DeviceAt(slot) : null;
        if (device is null)
        {
            data.Fill(0xFF);
            return;
        }

        device.ReadConfig(offset, data);
    }

    /// <summary>A configuration write; writes to absent devices vanish.</summary>
    public void WriteConfig(int bus, int slot, int function, int offset, ReadOnlySpan<byte> data)
    {
        IPciDevice? device = bus == 0 && function == 0 ? DeviceAt(slot) : null;
        device?.WriteConfig(offset, data);
    }

    private void OnBarRelocated(int slot, IPciDevice device, int barIndex, ulong address)
    {
        PciBar? bar = device.Bars.FirstOrDefault(b => b.Index == barIndex);
        if (bar is null)
        {
            return;
        }

        lock (_lock)
        {
            ulong registered = _registered[slot, barIndex];
            if (registered != 0)
            {
                _mmio.Unregister(registered);
                _registered[slot, barIndex] = 0;
            }

            if (address == 0)
            {
                return;
            }

            try
            {
                _mmio.Register(address, bar.Size, bar.Region);
                _registered[slot, barIndex] = address;
            }
            catch (BusConflictException e)
            {
                Interlocked.Increment(ref _barConflicts);
                Log?.Invoke($"PCI 00:{slot:x2}.0 BAR {barIndex} at 0x{address:x} not decoded: {e.Message}");
            }
        }
    }
}
