using System.Buffers.Binary;
using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;

namespace SharpVmm.Tests.Support;

/// <summary>One buffer a test puts in a chain: readable with contents, or writable with a length.</summary>
internal sealed record ChainBuffer(bool Writable, byte[] Data, uint Length)
{
    public static ChainBuffer In(ReadOnlySpan<byte> data) => new(false, data.ToArray(), (uint)data.Length);

    public static ChainBuffer Out(uint length) => new(true, [], length);
}

/// <summary>A chain the builder published: its head and where each of its buffers lies.</summary>
internal sealed record BuiltChain(ushort Head, IReadOnlyList<GuestBuffer> Buffers);

/// <summary>
/// Plays the driver side of a split virtqueue (virtio 1.2, 2.7) in a flat guest memory: lays out the rings, writes
/// descriptors and chains (direct, indirect, or raw for malformed cases), publishes them, and reads the used ring back.
/// </summary>
internal sealed class VirtQueueBuilder : IDisposable
{
    public const ulong MemorySize = 0x100000;
    private const ulong DescBase = 0x1000;
    private const ulong DataBase = 0x20000;

    private readonly ulong _dataBase;
    private readonly ulong _dataEnd;
    private ulong _nextData;
    private ushort _nextDesc;

    /// <summary>A queue of <paramref name="size"/> in <paramref name="memory"/> (a new 1 MiB one by default); its
    /// buffers go in [<paramref name="dataBase"/>, <paramref name="dataEnd"/>) when given (queues sharing a memory).</summary>
    public VirtQueueBuilder(ushort size = 16, GuestMemory? memory = null, ulong dataBase = DataBase, ulong dataEnd = MemorySize)
    {
        Memory = memory ?? GuestMemory.CreateFlat(MemorySize);
        _dataBase = dataBase;
        _dataEnd = dataEnd;
        _nextData = dataBase;
        Size = size;
        ulong avail = DescBase + (16UL * size);
        ulong used = (avail + 6 + (2UL * size) + 3) & ~3UL;
        Config = new VirtQueueConfig(size)
        {
            Ready = true,
            DescriptorTable = new GuestAddress(DescBase),
            DriverArea = new GuestAddress(avail),
            DeviceArea = new GuestAddress(used),
        };
    }

    public GuestMemory Memory { get; }

    public ushort Size { get; }

    public VirtQueueConfig Config { get; }

    /// <summary>The driver's avail.idx (the next ring slot it fills).</summary>
    public ushort AvailIdx
    {
        get => Memory.Read<ushort>(At(Config.DriverArea, 2));
        set => Memory.Write(At(Config.DriverArea, 2), value);
    }

    public ushort AvailFlags
    {
        get => Memory.Read<ushort>(Config.DriverArea);
        set => Memory.Write(Config.DriverArea, value);
    }

    public ushort UsedEvent
    {
        get => Memory.Read<ushort>(At(Config.DriverArea, 4 + (2UL * Size)));
        set => Memory.Write(At(Config.DriverArea, 4 + (2UL * Size)), value);
    }

    public ushort UsedIdx => Memory.Read<ushort>(At(Config.DeviceArea, 2));

    public ushort UsedFlags => Memory.Read<ushort>(Config.DeviceArea);

    public ushort AvailEvent => Memory.Read<ushort>(At(Config.DeviceArea, 4 + (8UL * Size)));

    public VirtQueue CreateQueue(ulong features = VirtioFeatures.Common) => new(Memory, Config, features);

    /// <summary>Reads used ring element <paramref name="n"/> (counted from the first, wrapping like the ring).</summary>
    public (uint Id, uint Length) Used(int n)
    {
        GuestAddress element = At(Config.DeviceArea, 4 + (8UL * (ulong)(n % Size)));
        return (Memory.Read<uint>(element), Memory.Read<uint>(At(element, 4)));
    }

    /// <summary>Reserves <paramref name="length"/> bytes of data area (wrapping round when it runs out).</summary>
    public GuestAddress Allocate(uint length)
    {
        ulong aligned = (length + 15UL) & ~15UL;
        if (_nextData + aligned > _dataEnd)
        {
            _nextData = _dataBase;
        }

        var address = new GuestAddress(_nextData);
        _nextData += aligned;
        return address;
    }

    /// <summary>Writes descriptor <paramref name="index"/> of the queue's own table.</summary>
    public void WriteDescriptor(ushort index, ulong address, uint length, ushort flags, ushort next = 0) =>
        WriteDescriptor(Config.DescriptorTable, index, address, length, flags, next);

    public void WriteDescriptor(GuestAddress table, uint index, ulong address, uint length, ushort flags, ushort next = 0)
    {
        Span<byte> raw = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(raw, address);
        BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[14..], next);
        Memory.Write(At(table, 16UL * index), raw);
    }

    /// <summary>Puts <paramref name="head"/> in the next avail ring slot and bumps avail.idx.</summary>
    public void Publish(ushort head)
    {
        ushort idx = AvailIdx;
        Memory.Write(At(Config.DriverArea, 4 + (2UL * (ulong)(idx % Size))), head);
        AvailIdx = (ushort)(idx + 1);
    }

    /// <summary>Writes a direct chain from the next free descriptors and, unless told not to, publishes it.</summary>
    public BuiltChain AddChain(params ChainBuffer[] buffers) => AddChain(true, buffers);

    public BuiltChain AddChain(bool publish, params ChainBuffer[] buffers)
    {
        ushort head = _nextDesc;
        var placed = new List<GuestBuffer>();
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort index = _nextDesc;
            _nextDesc = (ushort)((_nextDesc + 1) % Size);
            GuestBuffer buffer = Place(buffers[i]);
            placed.Add(buffer);
            ushort flags = (ushort)((buffers[i].Writable ? VirtQueue.DescFlagWrite : 0) | (i + 1 < buffers.Length ? VirtQueue.DescFlagNext : 0));
            WriteDescriptor(index, buffer.Address.Value, buffer.Length, flags, _nextDesc);
        }

        if (publish)
        {
            Publish(head);
        }

        return new BuiltChain(head, placed);
    }

    /// <summary>Writes an indirect table holding <paramref name="buffers"/> and one queue descriptor pointing at it.</summary>
    public BuiltChain AddIndirectChain(params ChainBuffer[] buffers)
    {
        GuestAddress table = Allocate((uint)(16 * buffers.Length));
        var placed = new List<GuestBuffer>();
        for (int i = 0; i < buffers.Length; i++)
        {
            GuestBuffer buffer = Place(buffers[i]);
            placed.Add(buffer);
            ushort flags = (ushort)((buffers[i].Writable ? VirtQueue.DescFlagWrite : 0) | (i + 1 < buffers.Length ? VirtQueue.DescFlagNext : 0));
            WriteDescriptor(table, (uint)i, buffer.Address.Value, buffer.Length, flags, (ushort)(i + 1));
        }

        ushort head = _nextDesc;
        _nextDesc = (ushort)((_nextDesc + 1) % Size);
        WriteDescriptor(head, table.Value, (uint)(16 * buffers.Length), VirtQueue.DescFlagIndirect);
        Publish(head);
        return new BuiltChain(head, placed);
    }

    /// <summary>Reads back the bytes of buffer <paramref name="i"/> of <paramref name="chain"/>.</summary>
    public byte[] ReadBuffer(BuiltChain chain, int i)
    {
        var data = new byte[chain.Buffers[i].Length];
        Memory.Read(chain.Buffers[i].Address, data);
        return data;
    }

    private GuestBuffer Place(ChainBuffer buffer)
    {
        GuestAddress address = Allocate(buffer.Length);
        if (buffer.Writable)
        {
            Memory.GetSpan(address, (int)buffer.Length).Fill(0xEE); // so a test sees what the device wrote
        }
        else
        {
            Memory.Write(address, buffer.Data);
        }

        return new GuestBuffer(address, buffer.Length);
    }

    private static GuestAddress At(GuestAddress a, ulong offset) => new(a.Value + offset);

    public void Dispose() => Memory.Dispose();
}
