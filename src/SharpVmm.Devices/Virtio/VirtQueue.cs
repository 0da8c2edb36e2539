using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// The device side of a split virtqueue (virtio 1.2, section 2.7). Every value the guest supplies (ring placement,
/// indices, descriptor addresses, lengths, flags, chain shape) is validated; a malformed ring or chain makes the queue
/// <see cref="IsBroken"/> and it is then left alone until the device is reset. Not thread-safe: one worker uses it.
/// </summary>
public sealed partial class VirtQueue
{
    /// <summary>VIRTQ_DESC_F_NEXT: the chain continues at <c>next</c> (2.7.5).</summary>
    public const ushort DescFlagNext = 1;

    /// <summary>VIRTQ_DESC_F_WRITE: the buffer is device-writable (2.7.5).</summary>
    public const ushort DescFlagWrite = 2;

    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer is a table of descriptors (2.7.5.3).</summary>
    public const ushort DescFlagIndirect = 4;

    /// <summary>VIRTQ_AVAIL_F_NO_INTERRUPT: the driver asks for no used buffer notifications (2.7.6, 2.7.10).</summary>
    public const ushort AvailFlagNoInterrupt = 1;

    /// <summary>VIRTQ_USED_F_NO_NOTIFY: the device asks for no available buffer notifications (2.7.8, 2.7.10).</summary>
    public const ushort UsedFlagNoNotify = 1;

    /// <summary>Size of one descriptor (struct virtq_desc, 2.7.5).</summary>
    public const int DescriptorSize = 16;

    /// <summary>The largest queue size the split ring allows (2.7).</summary>
    public const int MaxQueueSize = 32768;

    private readonly GuestMemory _memory;
    private readonly bool _eventIndex;
    private readonly bool _indirect;
    private readonly GuestAddress _desc, _avail, _used;
    private ushort _lastAvailIdx; // next avail ring entry the device will read
    private ushort _usedIdx; // next used ring entry the device will write
    private ushort _usedIdxAtLastCheck; // used.idx when NeedsNotification last decided
    private readonly bool _ringsPlaced; // the rings passed CheckPlacement: they lie in guest memory and can be read

    /// <summary>Creates the device view of a queue the driver programmed in <paramref name="config"/>.</summary>
    /// <param name="memory">Guest memory holding the rings and buffers.</param>
    /// <param name="config">Size and ring addresses; checked here (alignment 2.7, placement inside guest memory).</param>
    /// <param name="negotiatedFeatures">The accepted features (indirect descriptors, event index).</param>
    public VirtQueue(GuestMemory memory, VirtQueueConfig config, ulong negotiatedFeatures)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(config);
        _memory = memory;
        _eventIndex = (negotiatedFeatures & VirtioFeatures.RingEventIndex) != 0;
        _indirect = (negotiatedFeatures & VirtioFeatures.RingIndirectDescriptors) != 0;
        Size = config.Size;
        _desc = config.DescriptorTable;
        _avail = config.DriverArea;
        _used = config.DeviceArea;
        BrokenReason = CheckPlacement(config);
        _ringsPlaced = BrokenReason is null;
    }

    /// <summary>The queue size the driver chose.</summary>
    public ushort Size { get; }

    /// <summary>A malformed ring or chain was seen; the queue is unusable until reset.</summary>
    public bool IsBroken => BrokenReason is not null;

    /// <summary>What was wrong, for a log line; null while the queue is healthy.</summary>
    public string? BrokenReason { get; private set; }

    /// <summary>Chains popped so far.</summary>
    public long ChainsPopped { get; private set; }

    // struct virtq_avail: flags, idx, ring[Size], used_event (2.7.6).
    private GuestAddress AvailIdx => new(_avail.Value + 2);
    private GuestAddress AvailRing(ushort slot) => new(_avail.Value + 4 + (2UL * slot));
    private GuestAddress UsedEvent => new(_avail.Value + 4 + (2UL * Size));

    // struct virtq_used: flags, idx, ring[Size] of {id, len}, avail_event (2.7.8).
    private GuestAddress UsedIdx => new(_used.Value + 2);
    private GuestAddress UsedRing(ushort slot) => new(_used.Value + 4 + (8UL * slot));
    private GuestAddress AvailEvent => new(_used.Value + 4 + (8UL * Size));

    /// <summary>Pops the next available chain, fully validated. False when there is none, or the queue is broken.</summary>
    public bool TryPop(out DescriptorChain chain)
    {
        chain = null!;
        if (IsBroken)
        {
            return false;
        }

        // Acquire: the ring entries are read only after avail.idx (2.7.13.3: the driver publishes idx last).
        ushort availIdx = Volatile.Read(ref Ref16(AvailIdx));
        ushort pending = (ushort)(availIdx - _lastAvailIdx);
        if (pending == 0)
        {
            return false;
        }

        if (pending > Size)
        {
            return MarkBroken($"avail.idx {availIdx} is {pending} entries ahead of the device's {_lastAvailIdx} (queue size {Size})");
        }

        ushort head = _memory.Read<ushort>(AvailRing((ushort)(_lastAvailIdx % Size)));
        string? problem = ParseChain(head, out chain);
        if (problem is not null)
        {
            return MarkBroken($"chain at head {head}: {problem}");
        }

        _lastAvailIdx++;
        ChainsPopped++;
        return true;
    }

    /// <summary>
    /// Puts the chain the last <see cref="TryPop"/> returned back at the head of the available ring, untouched, for a
    /// later pop to return again (a device that may not serve it yet: its rate limiter is empty). Call only right
    /// after a successful pop, before any other pop or <see cref="AddUsed"/>.
    /// </summary>
    public void UndoPop()
    {
        if (IsBroken)
        {
            return;
        }

        _lastAvailIdx--;
        ChainsPopped--;
    }

    /// <summary>Returns <paramref name="chain"/> to the driver: writes the used element, then publishes used.idx.</summary>
    public void AddUsed(DescriptorChain chain, uint bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (IsBroken)
        {
            return;
        }

        GuestAddress element = UsedRing((ushort)(_usedIdx % Size));
        _memory.Write(element, chain.HeadIndex);
        _memory.Write(new GuestAddress(element.Value + 4), Math.Min(bytesWritten, chain.WritableLength));
        _usedIdx++;

        // Release: the element must be visible before the index that publishes it (2.7.8.2).
        Volatile.Write(ref Ref16(UsedIdx), _usedIdx);
    }

    /// <summary>
    /// After <see cref="AddUsed"/>: whether the driver wants a used buffer notification for the entries added since the
    /// last call (2.7.7: VIRTQ_AVAIL_F_NO_INTERRUPT, or with VIRTIO_F_EVENT_IDX whether used_event was crossed).
    /// </summary>
    public bool NeedsNotification()
    {
        if (IsBroken)
        {
            return false;
        }

        ushort old = _usedIdxAtLastCheck;
        ushort now = _usedIdx;
        _usedIdxAtLastCheck = now;
        if (old == now)
        {
            return false;
        }

        // Full barrier: used.idx is stored before used_event/flags is loaded (store-load ordering).
        Interlocked.MemoryBarrier();
        if (_eventIndex)
        {
            ushort usedEvent = Volatile.Read(ref Ref16(UsedEvent));
            return NeedEvent(usedEvent, now, old);
        }

        return (Volatile.Read(ref Ref16(_avail)) & AvailFlagNoInterrupt) == 0;
    }

    /// <summary>
    /// Asks the driver for available buffer notifications again (publishes avail_event with VIRTIO_F_EVENT_IDX, else
    /// clears VIRTQ_USED_F_NO_NOTIFY). Returns true when buffers arrived meanwhile, so the worker must look again.
    /// </summary>
    public bool EnableNotifications()
    {
        if (IsBroken)
        {
            return false;
        }

        if (_eventIndex)
        {
            Volatile.Write(ref Ref16(AvailEvent), _lastAvailIdx);
        }
        else
        {
            Volatile.Write(ref Ref16(_used), 0);
        }

        // Full barrier: the store above must be visible before avail.idx is loaded, or a kick could be lost.
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref Ref16(AvailIdx)) != _lastAvailIdx;
    }

    /// <summary>Asks the driver not to notify (VIRTQ_USED_F_NO_NOTIFY; with VIRTIO_F_EVENT_IDX avail_event is just not moved).</summary>
    public void DisableNotifications()
    {
        if (!IsBroken && !_eventIndex)
        {
            Volatile.Write(ref Ref16(_used), UsedFlagNoNotify);
        }
    }

    /// <summary>
    /// The ring's indices as the driver and the device see them, for a report on a guest that stopped making progress:
    /// avail.idx ahead of the device means buffers the device never took (a lost notification); used.idx past
    /// used_event with no interrupt is a lost used buffer notification.
    /// </summary>
    public string DescribeRing()
    {
        if (!_ringsPlaced)
        {
            return $"broken: {BrokenReason}"; // the rings are not in guest memory: there are no indices to read
        }

        var c = System.Globalization.CultureInfo.InvariantCulture;
        string state = string.Create(c,
            $"avail.idx {Volatile.Read(ref Ref16(AvailIdx))}, device at {_lastAvailIdx}, used.idx {_usedIdx}, avail.flags {Volatile.Read(ref Ref16(_avail)):x}");
        if (_eventIndex)
        {
            state += string.Create(c, $", used_event {Volatile.Read(ref Ref16(UsedEvent))}, avail_event {Volatile.Read(ref Ref16(AvailEvent))}");
        }

        return IsBroken ? $"{state}, broken: {BrokenReason}" : state;
    }

    /// <summary>vring_need_event (2.7.10): true when <paramref name="eventIdx"/> lies in [old, new).</summary>
    public static bool NeedEvent(ushort eventIdx, ushort newIdx, ushort oldIdx) =>
        (ushort)(newIdx - eventIdx - 1) < (ushort)(newIdx - oldIdx);

    private bool MarkBroken(string reason)
    {
        BrokenReason ??= reason;
        return false;
    }

    private ref ushort Ref16(GuestAddress address) => ref MemoryMarshal.Cast<byte, ushort>(_memory.GetSpan(address, 2))[0];

    private string? CheckPlacement(VirtQueueConfig config)
    {
        if (Size == 0 || Size > MaxQueueSize || (Size & (Size - 1)) != 0 || Size > config.MaxSize)
        {
            return $"queue size {Size} is not a power of two of at most {Math.Min((int)config.MaxSize, MaxQueueSize)}";
        }

        // Alignment and sizes from 2.7 table "Virtqueue Part Alignment Size".
        ulong availSize = 6 + (2UL * Size), usedSize = 6 + (8UL * Size);
        if (_desc.Value % 16 != 0 || _avail.Value % 2 != 0 || _used.Value % 4 != 0)
        {
            return $"ring addresses desc {_desc}, avail {_avail}, used {_used} are misaligned (16, 2, 4)";
        }

        if (!_memory.Contains(_desc, (ulong)DescriptorSize * Size))
        {
            return $"descriptor table at {_desc} is not inside guest memory";
        }

        if (!_memory.Contains(_avail, availSize))
        {
            return $"available ring at {_avail} is not inside guest memory";
        }

        return _memory.Contains(_used, usedSize) ? null : $"used ring at {_used} is not inside guest memory";
    }

    private string? ParseChain(ushort head, out DescriptorChain chain)
    {
        chain = null!;
        var readable = new List<GuestBuffer>();
        var writable = new List<GuestBuffer>();
        ulong readableLength = 0, writableLength = 0;
        GuestAddress table = _desc;
        uint tableEntries = Size;
        uint maxLength = Size;
        bool inIndirect = false;
        bool sawWritable = false;
        uint index = head;
        uint count = 0;
        Span<byte> raw = stackalloc byte[DescriptorSize];

        while (true)
        {
            if (index >= tableEntries)
            {
                return $"descriptor index {index} is outside the {(inIndirect ? "indirect table" : "queue")} of {tableEntries}";
            }

            if (++count > maxLength)
            {
                return $"chain is longer than {maxLength} descriptors (a loop?)";
            }

            // One copy of the descriptor: the guest may change it while we look at it.
            _memory.Read(new GuestAddress(table.Value + ((ulong)DescriptorSize * index)), raw);
            ulong addr = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(raw[12..]);
            ushort next = BinaryPrimitives.ReadUInt16LittleEndian(raw[14..]);

            if ((flags & DescFlagIndirect) != 0)
            {
                string? problem = CheckIndirect(addr, len, flags, inIndirect);
                if (problem is not null)
                {
                    return problem;
                }

                // 2.7.5.3.2: the table's descriptors replace this one; the chain restarts at entry 0.
                table = new GuestAddress(addr);
                tableEntries = len / DescriptorSize;
                maxLength = Math.Min(tableEntries, MaxQueueSize);
                inIndirect = true;
                index = 0;
                count = 0;
                continue;
            }

            bool write = (flags & DescFlagWrite) != 0;
            sawWritable |= write;
            if (!write && sawWritable)
            {
                return $"readable descriptor {index} follows a writable one";
            }

            if (len != 0)
            {
                if (!_memory.Contains(new GuestAddress(addr), len))
                {
                    return $"buffer [0x{addr:x}, +{len}) of descriptor {index} is not inside guest memory";
                }

                (write ? writable : readable).Add(new GuestBuffer(new GuestAddress(addr), len));
                if (write)
                {
                    writableLength += len;
                }
                else
                {
                    readableLength += len;
                }
            }

            if ((flags & DescFlagNext) == 0)
            {
                break;
            }

            index = next;
        }

        if (readableLength > uint.MaxValue || writableLength > uint.MaxValue)
        {
            return "chain carries more than 4 GiB in one direction";
        }

        chain = new DescriptorChain(_memory, head, [.. readable], [.. writable], (uint)readableLength, (uint)writableLength);
        return null;
    }

    private string? CheckIndirect(ulong addr, uint len, ushort flags, bool inIndirect)
    {
        if (!_indirect)
        {
            return "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
        }

        if (inIndirect)
        {
            return "indirect descriptor inside an indirect table";
        }

        if ((flags & DescFlagNext) != 0)
        {
            return "indirect descriptor with VIRTQ_DESC_F_NEXT";
        }

        if (len == 0 || len % DescriptorSize != 0)
        {
            return $"indirect table length {len} is not a non-zero multiple of {DescriptorSize}";
        }

        if (!_memory.Contains(new GuestAddress(addr), len))
        {
            return $"indirect table [0x{addr:x}, +{len}) is not inside guest memory";
        }

        return null;
    }
}
