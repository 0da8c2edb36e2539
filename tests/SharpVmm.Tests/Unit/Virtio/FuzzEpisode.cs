using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>What <see cref="FuzzEpisode.Publish"/> made available: its head, whether a descriptor was replaced by a
/// hostile one, and the ranges the driver let the device write when it was not.</summary>
internal sealed record FuzzChain(int Queue, ushort Head, bool Mutated, IReadOnlyList<(ulong Start, ulong End)> WritableRanges);

/// <summary>
/// One activation of a device under fuzz: fresh guest memory, a ring for each of its queues, and a data area filled with
/// a random guard pattern. Besides publishing chains, it checks what the device did with them: guest memory changed only
/// in the used rings and the buffers the driver made writable, and a used length never more than the chain's writable
/// bytes.
/// </summary>
internal sealed class FuzzEpisode : IDisposable
{
    public const ulong DataStart = 0x20000, DataEnd = 0xF0000;
    private readonly ushort _queueSize;
    private readonly ushort[] _next;

    public FuzzEpisode(Random random, int queues, ushort queueSize)
    {
        _queueSize = queueSize;
        Queues = new VirtQueueBuilder[queues];
        _next = new ushort[queues];
        Queues[0] = new VirtQueueBuilder(queueSize);
        for (int q = 1; q < queues; q++)
        {
            Queues[q] = new VirtQueueBuilder(queueSize, Queues[0].Memory);
            Queues[q].Config.DescriptorTable = new(0x8000UL * (ulong)q);
            Queues[q].Config.DriverArea = new((0x8000UL * (ulong)q) + 0x1000);
            Queues[q].Config.DeviceArea = new((0x8000UL * (ulong)q) + 0x2000);
        }

        Hostile = new HostileDescriptors(random, Queues[0], DataStart, DataEnd);
        random.NextBytes(Memory.GetSpan(new GuestAddress(DataStart), (int)(DataEnd - DataStart))); // the guard pattern
    }

    public VirtQueueBuilder[] Queues { get; }

    public GuestMemory Memory => Queues[0].Memory;

    public HostileDescriptors Hostile { get; }

    public VirtioActivation Activation(ulong features, IVirtioInterrupt interrupt) =>
        new(Memory, features, [.. Queues.Select(q => q.Config)], interrupt);

    /// <summary>Writes a chain of <paramref name="shape"/> at queue <paramref name="q"/>'s next descriptors,
    /// replaces one descriptor with a hostile one when <paramref name="mutate"/>, and publishes it.</summary>
    public FuzzChain Publish(Random random, int q, IReadOnlyList<(bool Write, byte[] Data, uint Length)> shape, bool mutate)
    {
        VirtQueueBuilder queue = Queues[q];
        ushort head = _next[q];
        var indices = new List<ushort>();
        var writable = new List<(ulong, ulong)>();
        for (int i = 0; i < shape.Count; i++)
        {
            ushort index = _next[q];
            indices.Add(index);
            _next[q] = (ushort)((index + 1) % _queueSize);
            (bool write, byte[] data, uint length) = shape[i];
            ulong address = Hostile.ValidAddress(length);
            Memory.Write(new GuestAddress(address), data);
            ushort flags = (ushort)((write ? VirtQueue.DescFlagWrite : 0) | (i + 1 < shape.Count ? VirtQueue.DescFlagNext : 0));
            Hostile.Write(queue.Config.DescriptorTable, index, address, length, flags, _next[q]);
            if (write)
            {
                writable.Add((address, address + length));
            }
        }

        if (mutate)
        {
            uint length = Hostile.Length();
            Hostile.Write(queue.Config.DescriptorTable, indices[random.Next(indices.Count)], Hostile.Address(length), length,
                Hostile.Flags(), (ushort)random.Next(0, _queueSize + 2));
        }

        queue.Publish(head);
        return new FuzzChain(q, head, mutate, writable);
    }

    /// <summary>A copy of all guest memory, to compare with after the device ran.</summary>
    public byte[] Snapshot() => Memory.GetSpan(new GuestAddress(0), (int)VirtQueueBuilder.MemorySize).ToArray();

    /// <summary>
    /// Fails unless every byte that changed since <paramref name="before"/> lies in a used ring or in a buffer the driver
    /// made writable for <paramref name="chain"/>: its own writable descriptors, or, when a hostile descriptor may have
    /// redirected the chain, any device-writable descriptor now in a table.
    /// </summary>
    public void AssertWritesStayedInside(byte[] before, FuzzChain chain)
    {
        ReadOnlySpan<byte> now = Memory.GetSpan(new GuestAddress(0), before.Length);
        int at = 0;
        while (true)
        {
            at += now[at..].CommonPrefixLength(before.AsSpan(at));
            if (at >= before.Length)
            {
                return;
            }

            ulong address = (ulong)at;
            bool allowed = InUsedRing(address) || (chain.Mutated
                ? Hostile.MayWrite(address)
                : chain.WritableRanges.Any(r => address >= r.Start && address < r.End));
            Assert.True(allowed, $"the device wrote guest memory at 0x{address:x}, outside the used rings and the writable buffers of " +
                $"{(chain.Mutated ? "any descriptor" : "the chain")} (queue {chain.Queue}, head {chain.Head})");
            at++;
        }
    }

    /// <summary>
    /// The writable bytes of the chain at <paramref name="head"/> as the descriptors now in queue <paramref name="q"/>'s
    /// table link it (at most a ring's worth of descriptors): the most a used length may say for it.
    /// </summary>
    public ulong WritableBytes(int q, ushort head)
    {
        ulong table = Queues[q].Config.DescriptorTable.Value, total = 0;
        uint index = head;
        for (int step = 0; step < _queueSize && index < _queueSize; step++)
        {
            ulong descriptor = table + (16UL * index);
            uint length = Memory.Read<uint>(new GuestAddress(descriptor + 8));
            ushort flags = Memory.Read<ushort>(new GuestAddress(descriptor + 12));
            if ((flags & VirtQueue.DescFlagWrite) != 0)
            {
                total += length;
            }

            if ((flags & VirtQueue.DescFlagNext) == 0)
            {
                break;
            }

            index = Memory.Read<ushort>(new GuestAddress(descriptor + 14));
        }

        return total;
    }

    // flags, idx, the ring and avail_event (2.7.8): the whole area the device owns.
    private bool InUsedRing(ulong address) => Queues.Any(q =>
        address >= q.Config.DeviceArea.Value && address < q.Config.DeviceArea.Value + 6 + (8UL * _queueSize));

    public void Dispose() => Queues[0].Dispose();
}
