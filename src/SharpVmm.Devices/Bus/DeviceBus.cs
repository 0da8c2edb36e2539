using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace SharpVmm.Devices.Bus;

/// <summary>
/// Maps address ranges to devices: a sorted table searched by binary search. Registration is copy-on-write,
/// so vCPU threads look up without locks. Accesses nothing claims are answered the way a PC bus does
/// (reads float to all ones, writes vanish) and counted per address. A one-byte read of a register its device publishes
/// (<see cref="IPublishesRegisters"/>) is answered from the published value, without calling the device.
/// </summary>
public abstract class DeviceBus
{
    private readonly Lock _writeLock = new();
    private readonly ConcurrentDictionary<ulong, long> _unclaimed = new();
    // Sorted by base; each range's bounds inline, so that a lookup reads this one array and the range it finds.
    private (ulong Base, ulong Last, BusRange Range)[] _ranges = [];
    private (ulong Address, PublishedRegister Register)[] _published = [];
    private long _unclaimedWrites;
    private long _unclaimedReads;

    /// <summary>Creates a bus whose addresses run from 0 to <paramref name="lastAddress"/>.</summary>
    protected DeviceBus(ulong lastAddress) => LastAddress = lastAddress;

    /// <summary>Highest address on this bus.</summary>
    public ulong LastAddress { get; }

    /// <summary>The registrations, sorted by base address.</summary>
    public IReadOnlyList<BusRange> Ranges => Array.ConvertAll(Volatile.Read(ref _ranges), static r => r.Range);

    /// <summary>Number of writes no device claimed.</summary>
    public long UnclaimedWrites => Interlocked.Read(ref _unclaimedWrites);

    /// <summary>Number of reads no device claimed.</summary>
    public long UnclaimedReads => Interlocked.Read(ref _unclaimedReads);

    /// <summary>Unclaimed accesses by address.</summary>
    public IReadOnlyDictionary<ulong, long> UnclaimedByAddress => _unclaimed;

    /// <summary>The registers published on this bus (<see cref="IPublishesRegisters"/>) and their addresses, as they are now.</summary>
    public IReadOnlyList<KeyValuePair<ulong, PublishedRegister>> PublishedRegisters =>
        Array.ConvertAll(Volatile.Read(ref _published), static p => KeyValuePair.Create(p.Address, p.Register));

    /// <summary>Raised after a registration or its removal changed <see cref="PublishedRegisters"/>.</summary>
    public event Action? PublishedRegistersChanged;

    /// <summary>Called once for the first unclaimed access to each address (for a log line), with the address and whether it was a write.</summary>
    public Action<ulong, bool>? FirstUnclaimedAccess { get; set; }

    /// <summary>Raised after a registration or its removal changed <see cref="Ranges"/>.</summary>
    public event Action? RangesChanged;

    /// <summary>
    /// Counts <paramref name="count"/> accesses to <paramref name="address"/> that nothing claims and that were answered
    /// without the bus, as it would have answered them (all ones; a write dropped): a vCPU's run loop answers a port the
    /// guest keeps probing itself.
    /// </summary>
    public void RecordUnclaimed(ulong address, bool isWrite, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count != 0)
        {
            CountUnclaimed(address, isWrite, count);
        }
    }

    /// <summary>Claims [<paramref name="baseAddress"/>, +<paramref name="length"/>) for <paramref name="device"/>.</summary>
    /// <exception cref="BusConflictException">The range is empty, too large, or overlaps an existing one.</exception>
    public void Register(ulong baseAddress, ulong length, IBusDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (length == 0)
        {
            throw new BusConflictException($"zero-length registration at 0x{baseAddress:x}");
        }

        if (baseAddress > LastAddress || length - 1 > LastAddress - baseAddress)
        {
            throw new BusConflictException($"range 0x{baseAddress:x}+0x{length:x} runs past the end of the bus (0x{LastAddress:x})");
        }

        var added = new BusRange(baseAddress, length, device);
        lock (_writeLock)
        {
            foreach ((_, _, BusRange existing) in _ranges)
            {
                if (added.Base <= existing.Last && existing.Base <= added.Last)
                {
                    throw new BusConflictException(
                        $"range 0x{added.Base:x}-0x{added.Last:x} overlaps 0x{existing.Base:x}-0x{existing.Last:x} ({existing.Device.GetType().Name})");
                }
            }

            (ulong, ulong, BusRange)[] next = [.. _ranges, (added.Base, added.Last, added)];
            Array.Sort(next, static (a, b) => a.Item1.CompareTo(b.Item1));
            Volatile.Write(ref _ranges, next);
            if (device is IPublishesRegisters publisher)
            {
                var published = new List<(ulong, PublishedRegister)>(_published);
                foreach (PublishedRegister register in publisher.PublishedRegisters)
                {
                    if (register.Offset < length)
                    {
                        published.Add((baseAddress + register.Offset, register));
                    }
                }

                Volatile.Write(ref _published, [.. published]);
                PublishedRegistersChanged?.Invoke();
            }

            RangesChanged?.Invoke();
        }
    }

    /// <summary>Removes the registration that starts at <paramref name="baseAddress"/> (a PCI BAR the guest moved).</summary>
    /// <returns>False when no registration starts there.</returns>
    public bool Unregister(ulong baseAddress)
    {
        lock (_writeLock)
        {
            int index = Array.FindIndex(_ranges, r => r.Base == baseAddress);
            if (index < 0)
            {
                return false;
            }

            BusRange removed = _ranges[index].Range;
            (ulong, ulong, BusRange)[] next = [.. _ranges[..index], .. _ranges[(index + 1)..]];
            (ulong Address, PublishedRegister Register)[] published = Array.FindAll(_published, p => p.Address < removed.Base || p.Address > removed.Last);
            bool changed = published.Length != _published.Length;
            Volatile.Write(ref _published, published);
            Volatile.Write(ref _ranges, next);
            if (changed)
            {
                PublishedRegistersChanged?.Invoke();
            }

            RangesChanged?.Invoke();
            return true;
        }
    }

    /// <summary>Finds the registration containing <paramref name="address"/>, or null.</summary>
    public BusRange? Find(ulong address)
    {
        (ulong Base, ulong Last, BusRange Range)[] ranges = Volatile.Read(ref _ranges);
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            ref readonly (ulong Base, ulong Last, BusRange Range) range = ref ranges[mid];
            if (address < range.Base)
            {
                hi = mid - 1;
            }
            else if (address > range.Last)
            {
                lo = mid + 1;
            }
            else
            {
                return range.Range;
            }
        }

        return null;
    }

    /// <summary>Dispatches a read. Returns false (and fills <paramref name="data"/> with 0xFF) when nothing claims the address.</summary>
    public bool Read(ulong address, Span<byte> data)
    {
        if (data.Length == 1 && TryReadPublished(address, out byte value))
        {
            data[0] = value;
            return true;
        }

        BusRange? range = Find(address);
        if (range is null)
        {
            data.Fill(0xFF);
            CountUnclaimed(address, isWrite: false);
            return false;
        }

        range.Device.Read(address - range.Base, data);
        return true;
    }

    /// <summary>Dispatches a write. Returns false when nothing claims the address (the write is dropped and counted).
    /// A one-byte write that puts back the value of a published register whose rewrites change nothing
    /// (<see cref="IsPublishedRewrite"/>) is dropped too, without calling the device, and returns true.</summary>
    public bool Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (data.Length == 1 && IsPublishedRewrite(address, data[0]))
        {
            return true; // writing a register's own value back, which changes nothing (PublishedRegister.IsRewrite)
        }

        BusRange? range = Find(address);
        if (range is null)
        {
            CountUnclaimed(address, isWrite: true);
            return false;
        }

        range.Device.Write(address - range.Base, data);
        return true;
    }

    /// <summary>
    /// Dispatches a run of writes to one address: each <paramref name="accessSize"/>-byte element of
    /// <paramref name="data"/> in turn, in one call where the device takes runs (<see cref="IRepeatedWriteDevice"/>).
    /// Returns false when nothing claims the address (each write is dropped and counted).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is not a whole number of elements.</exception>
    public bool WriteRepeated(ulong address, int accessSize, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(accessSize);
        if (data.Length % accessSize != 0)
        {
            throw new ArgumentException($"{data.Length} bytes are not a whole number of {accessSize}-byte writes", nameof(data));
        }

        BusRange? range = Find(address);
        if (range is null)
        {
            for (int i = 0; i < data.Length; i += accessSize)
            {
                CountUnclaimed(address, isWrite: true);
            }

            return false;
        }

        if (range.Device is IRepeatedWriteDevice repeated)
        {
            repeated.WriteRepeated(address - range.Base, accessSize, data);
            return true;
        }

        for (int i = 0; i < data.Length; i += accessSize)
        {
            range.Device.Write(address - range.Base, data.Slice(i, accessSize));
        }

        return true;
    }

    /// <summary>The value published for the one-byte register at <paramref name="address"/>
    /// (<see cref="IPublishesRegisters"/>); false when there is none or it is withdrawn.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool TryReadPublished(ulong address, out byte value)
    {
        foreach ((ulong at, PublishedRegister register) in Volatile.Read(ref _published))
        {
            if (at == address)
            {
                return register.TryRead(out value);
            }
        }

        value = 0;
        return false;
    }

    /// <summary>Whether a one-byte write of <paramref name="value"/> to <paramref name="address"/> would change nothing:
    /// the register there is published with that value and rewriting it has no effect
    /// (<see cref="PublishedRegister.IsRewrite"/>). The bus drops such a write without calling the device.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool IsPublishedRewrite(ulong address, byte value)
    {
        foreach ((ulong at, PublishedRegister register) in Volatile.Read(ref _published))
        {
            if (at == address)
            {
                return register.IsRewrite(value);
            }
        }

        return false;
    }

    private void CountUnclaimed(ulong address, bool isWrite, long added = 1)
    {
        Interlocked.Add(ref isWrite ? ref _unclaimedWrites : ref _unclaimedReads, added);
        long count = _unclaimed.AddOrUpdate(address, static (_, a) => a, static (_, c, a) => c + a, added); // static: no allocation
        if (count == added)
        {
            FirstUnclaimedAccess?.Invoke(address, isWrite);
        }
    }
}
