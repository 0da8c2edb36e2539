using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>
/// Seeded random descriptor tables, avail rings and indices (ARCHITECTURE.md: a hostile guest gets an error, never a
/// crash or an access outside its memory): the queue never throws, every chain it returns lies inside guest memory and
/// is no longer than the queue allows, and it writes nothing but the used ring.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class VirtQueueFuzzTests : IDisposable
{
    private const ulong LowSize = 0x40000, TopSize = 0x10000;
    private const ulong DataStart = 0x8000, DataEnd = LowSize;
    private static readonly GuestAddress TopStart = new(ulong.MaxValue - TopSize + 1);

    // Low memory for the rings and buffers, and a region ending exactly at 2^64 for the wrap-round cases.
    private readonly GuestMemory _memory = new([new GuestMemoryRegion(new GuestAddress(0), LowSize), new GuestMemoryRegion(TopStart, TopSize)]);

    public void Dispose() => _memory.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_rings_never_throw_and_chains_stay_inside_guest_memory(int seed)
    {
        var random = new Random(seed);
        random.NextBytes(_memory.GetSpan(new GuestAddress(0), (int)LowSize));
        random.NextBytes(_memory.GetSpan(TopStart, (int)TopSize));
        byte[] low = new byte[LowSize], top = new byte[TopSize];
        int chains = 0;

        for (int iteration = 0; iteration < 1500; iteration++)
        {
            ushort size = (ushort)(1 << random.Next(0, 9));
            var queue = new VirtQueueBuilder(size, _memory);
            var hostile = new HostileDescriptors(random, queue, DataStart, DataEnd);
            ulong features = VirtioFeatures.Version1
                | (random.Next(3) != 0 ? VirtioFeatures.RingIndirectDescriptors : 0)
                | (random.Next(2) == 0 ? VirtioFeatures.RingEventIndex : 0);

            hostile.FillTable(queue.Config.DescriptorTable, size, size);
            for (int t = random.Next(0, 3); t > 0; t--)
            {
                // A well-shaped indirect table with random entries, hung off a random descriptor.
                uint entries = (uint)random.Next(1, 48);
                var table = new GuestAddress(hostile.Address(entries * 16));
                if (_memory.Contains(table, entries * 16))
                {
                    hostile.FillTable(table, entries, (ushort)entries);
                }

                hostile.Write(queue.Config.DescriptorTable, (uint)random.Next(size), table.Value, entries * 16,
                    (ushort)(VirtQueue.DescFlagIndirect | (random.Next(4) == 0 ? VirtQueue.DescFlagWrite : 0)), 0);
            }

            for (int slot = 0; slot < size; slot++)
            {
                ushort head = random.Next(10) == 0 ? (ushort)random.Next(0, 0x10000) : (ushort)random.Next(0, size);
                _memory.Write(new GuestAddress(queue.Config.DriverArea.Value + 4 + (2UL * (uint)slot)), head);
            }

            queue.AvailFlags = (ushort)random.Next(0, 0x10000);
            queue.UsedEvent = (ushort)random.Next(0, 0x10000);
            queue.AvailIdx = random.Next(6) == 0 ? (ushort)random.Next(0, 0x10000) : (ushort)random.Next(0, size + 1);

            _memory.GetSpan(new GuestAddress(0), (int)LowSize).CopyTo(low);
            _memory.GetSpan(TopStart, (int)TopSize).CopyTo(top);

            VirtQueue vq = queue.CreateQueue(features);
            for (int pop = 0; pop < size + 2; pop++)
            {
                if (random.Next(4) == 0)
                {
                    _ = vq.EnableNotifications();
                }
                else if (random.Next(4) == 0)
                {
                    vq.DisableNotifications();
                }

                if (!vq.TryPop(out DescriptorChain chain))
                {
                    break;
                }

                chains++;
                CheckChain(chain, size, features);
                vq.AddUsed(chain, (uint)random.NextInt64(0, 1L << 32));
                _ = vq.NeedsNotification();
            }

            // Nothing but the used ring (flags, idx, ring, avail_event) changed.
            ulong usedStart = queue.Config.DeviceArea.Value, usedEnd = usedStart + 6 + (8UL * size);
            ReadOnlySpan<byte> now = _memory.GetSpan(new GuestAddress(0), (int)LowSize);
            Assert.True(now[..(int)usedStart].SequenceEqual(low.AsSpan(0, (int)usedStart)), $"iteration {iteration}: a write before the used ring");
            Assert.True(now[(int)usedEnd..].SequenceEqual(low.AsSpan((int)usedEnd)), $"iteration {iteration}: a write after the used ring");
            Assert.True(_memory.GetSpan(TopStart, (int)TopSize).SequenceEqual(top), $"iteration {iteration}: a write near 2^64");
        }

        Assert.True(chains > 300, $"only {chains} chains were accepted: the fuzz is too hostile to reach the parser's end");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_ring_placement_never_throws(int seed)
    {
        var random = new Random(seed);
        random.NextBytes(_memory.GetSpan(new GuestAddress(0), (int)LowSize));
        random.NextBytes(_memory.GetSpan(TopStart, (int)TopSize));
        int healthy = 0;
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            ushort max = (ushort)(1 << random.Next(0, 16));
            var config = new VirtQueueConfig(max)
            {
                Size = random.Next(3) == 0 ? (ushort)random.Next(0, 0x10000) : (ushort)(1 << random.Next(0, 16)),
                DescriptorTable = RingAddress(random),
                DriverArea = RingAddress(random),
                DeviceArea = RingAddress(random),
                Ready = true,
            };

            var vq = new VirtQueue(_memory, config, VirtioFeatures.Common & (ulong)random.NextInt64());
            if (!vq.IsBroken)
            {
                healthy++;
                Assert.True(_memory.Contains(config.DescriptorTable, 16UL * config.Size));
                Assert.True(_memory.Contains(config.DriverArea, 6 + (2UL * config.Size)));
                Assert.True(_memory.Contains(config.DeviceArea, 6 + (8UL * config.Size)));
            }

            for (int pop = 0; pop < 4; pop++)
            {
                _ = vq.EnableNotifications();
                if (vq.TryPop(out DescriptorChain chain))
                {
                    CheckChain(chain, config.Size, VirtioFeatures.Common);
                    vq.AddUsed(chain, 1);
                }

                _ = vq.NeedsNotification();
                vq.DisableNotifications();
            }
        }

        Assert.True(healthy > 100, $"only {healthy} placements were valid");
    }

    private static GuestAddress RingAddress(Random random) => new(random.Next(6) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => ulong.MaxValue - (ulong)random.Next(0, 0x20000),                // near and inside the region ending at 2^64
        2 => (ulong.MaxValue - TopSize + 1) + ((ulong)random.Next(0, (int)TopSize) & ~15UL),
        3 => LowSize - (ulong)random.Next(0, 0x1000),              // straddling the end of low memory
        _ => (ulong)random.Next(0, (int)LowSize) & ~15UL,
    });

    private void CheckChain(DescriptorChain chain, ushort size, ulong features)
    {
        int count = chain.Readable.Count + chain.Writable.Count;
        // A direct chain has at most Size descriptors; an indirect table adds at most 32768 (the split ring's
        // limit, 2.7.5.3) after at most Size - 1 direct ones.
        int limit = (features & VirtioFeatures.RingIndirectDescriptors) != 0 ? size - 1 + VirtQueue.MaxQueueSize : size;
        Assert.InRange(count, 0, limit);
        Assert.True(chain.HeadIndex < size, $"head {chain.HeadIndex} is outside the queue of {size}");
        ulong readable = 0, writable = 0;
        foreach (GuestBuffer buffer in chain.Readable)
        {
            Assert.NotEqual(0u, buffer.Length);
            Assert.True(_memory.Contains(buffer.Address, buffer.Length), $"readable {buffer} is outside guest memory");
            readable += buffer.Length;
        }

        foreach (GuestBuffer buffer in chain.Writable)
        {
            Assert.NotEqual(0u, buffer.Length);
            Assert.True(_memory.Contains(buffer.Address, buffer.Length), $"writable {buffer} is outside guest memory");
            writable += buffer.Length;
        }

        Assert.Equal(readable, chain.ReadableLength);
        Assert.Equal(writable, chain.WritableLength);

        // The reader walks the whole chain without touching anything outside it.
        DescriptorChainReader reader = chain.CreateReader();
        while (reader.Remaining > 0)
        {
            int n = reader.NextSpan(int.MaxValue).Length;
            Assert.NotEqual(0, n);
            reader.Advance(n);
        }
    }
}
