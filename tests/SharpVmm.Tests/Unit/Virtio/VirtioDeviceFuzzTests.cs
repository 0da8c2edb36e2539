using System.Buffers.Binary;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>
/// Each device fed seeded random requests, mostly well-shaped and one in four with a hostile descriptor: no exception
/// escapes (a dead worker would take the test host down, and the device must still answer a good request afterwards),
/// a broken ring only asks for a reset, and virtio-blk writes neither outside its image nor outside the writable
/// buffers the guest gave it.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class VirtioDeviceFuzzTests : IDisposable
{
    private const ulong DataStart = 0x20000, DataEnd = 0xF0000;
    private const ushort QueueSize = 8;
    private readonly List<IDisposable> _owned = [];
    private readonly FakeVirtioInterrupt _interrupt = new();

    public void Dispose()
    {
        foreach (IDisposable d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
    }

    /// <summary>One activation: fresh memory and rings for each of the device's queues.</summary>
    private sealed class Episode : IDisposable
    {
        private readonly ushort[] _next;

        public Episode(Random random, int queues)
        {
            Queues = new VirtQueueBuilder[queues];
            _next = new ushort[queues];
            Queues[0] = new VirtQueueBuilder(QueueSize);
            for (int q = 1; q < queues; q++)
            {
                Queues[q] = new VirtQueueBuilder(QueueSize, Queues[0].Memory);
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
        public void Publish(Random random, int q, IReadOnlyList<(bool Write, byte[] Data, uint Length)> shape, bool mutate)
        {
            VirtQueueBuilder queue = Queues[q];
            ushort head = _next[q];
            var indices = new List<ushort>();
            for (int i = 0; i < shape.Count; i++)
            {
                ushort index = _next[q];
                indices.Add(index);
                _next[q] = (ushort)((index + 1) % QueueSize);
                (bool write, byte[] data, uint length) = shape[i];
                ulong address = Hostile.ValidAddress(length);
                Memory.Write(new GuestAddress(address), data);
                ushort flags = (ushort)((write ? VirtQueue.DescFlagWrite : 0) | (i + 1 < shape.Count ? VirtQueue.DescFlagNext : 0));
                Hostile.Write(queue.Config.DescriptorTable, index, address, length, flags, _next[q]);
            }

            if (mutate)
            {
                uint length = Hostile.Length();
                Hostile.Write(queue.Config.DescriptorTable, indices[random.Next(indices.Count)], Hostile.Address(length), length,
                    Hostile.Flags(), (ushort)random.Next(0, QueueSize + 2));
            }

            queue.Publish(head);
        }

        public void Dispose() => Queues[0].Dispose();
    }

    private static bool WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Yield();
        }

        return true;
    }

    /// <summary>Publishes, kicks, and waits until the chain is used or the device asked for a reset.</summary>
    private bool Submit(Episode episode, IVirtioDevice device, Random random, int q, IReadOnlyList<(bool, byte[], uint)> shape,
        bool mutate, Action? beforeKick = null)
    {
        int resets = _interrupt.NeedsResetSignals;
        ushort used = episode.Queues[q].UsedIdx;
        episode.Publish(random, q, shape, mutate);
        beforeKick?.Invoke();
        device.Notify(q);
        Assert.True(WaitFor(() => episode.Queues[q].UsedIdx != used || _interrupt.NeedsResetSignals != resets),
            "the device neither used the chain nor asked for a reset");
        return _interrupt.NeedsResetSignals == resets;
    }

    private static byte[] Bytes(Random random, int length)
    {
        var b = new byte[length];
        random.NextBytes(b);
        return b;
    }

    private static (bool, byte[], uint) In(byte[] data) => (false, data, (uint)data.Length);

    private static (bool, byte[], uint) Out(uint length) => (true, [], length);

    private static byte[] BlkHeader(uint type, ulong sector)
    {
        var h = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(8), sector);
        return h;
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Block_survives_random_requests_and_writes_only_its_image_and_the_writable_buffers(int seed)
    {
        const int Sectors = 64;
        var random = new Random(seed);
        var dir = new TempDirectory();
        _owned.Add(dir);
        string path = dir.File("disk.img");
        File.WriteAllBytes(path, Bytes(random, Sectors * 512));
        var device = new VirtioBlockDevice(new RawDiskImage(path), "fuzz", "fuzz-serial", QueueSize);
        _owned.Add(device);
        // Without indirect descriptors every buffer the device may write is one the test wrote into the queue's table
        // (an indirect table would be random guard bytes); the ring parser's indirect cases are VirtQueueFuzzTests'.
        ulong features = device.DeviceFeatures & ~VirtioFeatures.RingIndirectDescriptors;
        var episode = new Episode(random, 1);
        device.Activate(episode.Activation(features, _interrupt));
        byte[] before = new byte[VirtQueueBuilder.MemorySize];
        int brokenRings = 0;

        for (int iteration = 0; iteration < 900; iteration++)
        {
            uint[] types = [0, 1, 4, 8, 11, 13, (uint)random.Next()];
            uint type = types[random.Next(types.Length)];
            ulong sector = random.Next(4) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(0, Sectors + 4);
            var shape = new List<(bool, byte[], uint)> { In(BlkHeader(type, sector)) };
            for (int d = random.Next(0, 4); d > 0; d--)
            {
                uint length = random.Next(3) == 0 ? (uint)random.Next(1, 2000) : 512u * (uint)random.Next(1, 5);
                bool write = type is 0 or 8 ? random.Next(8) != 0 : random.Next(8) == 0;
                byte[] data = type is 11 or 13 && !write ? Segment(random, Sectors) : Bytes(random, (int)length);
                shape.Add(write ? Out(length) : (false, data, (uint)data.Length));
            }

            shape.Add(Out((uint)random.Next(0, 3)));
            bool mutate = random.Next(4) == 0;

            // Snapshot after the descriptors are written: Publish writes them, so take it in the kick callback.
            bool healthy = Submit(episode, device, random, 0, shape, mutate,
                () => episode.Memory.GetSpan(new GuestAddress(0), before.Length).CopyTo(before));
            CheckWritesStayedInside(episode, before);
            Assert.Equal(Sectors * 512L, new FileInfo(path).Length);

            if (!healthy || device.QueueBrokenReason is not null)
            {
                brokenRings++;
                device.Reset();
                episode.Dispose();
                episode = new Episode(random, 1);
                device.Activate(episode.Activation(features, _interrupt));
            }
        }

        Assert.InRange(brokenRings, 1, 1100);
        Assert.True(device.Counters.Requests > 500, $"only {device.Counters.Requests} requests reached the handler");

        // Still alive: a well-formed read returns the image's sectors.
        byte[] image = File.ReadAllBytes(path);
        var builder = episode.Queues[0];
        ushort used = builder.UsedIdx;
        BuiltChain read = builder.AddChain(ChainBuffer.In(BlkHeader(0, 5)), ChainBuffer.Out(1024), ChainBuffer.Out(1));
        device.Notify(0);
        Assert.True(WaitFor(() => builder.UsedIdx != used));
        Assert.Equal(0, builder.ReadBuffer(read, 2)[0]);
        Assert.Equal(image.AsSpan(5 * 512, 1024).ToArray(), builder.ReadBuffer(read, 1));
        episode.Dispose();
    }

    private static byte[] Segment(Random random, int sectors)
    {
        var s = new byte[16 * random.Next(1, 3)];
        for (int i = 0; i < s.Length; i += 16)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(i), random.Next(4) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(0, sectors));
            BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(i + 8), random.Next(4) == 0 ? (uint)random.Next() : (uint)random.Next(0, 9));
            BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(i + 12), random.Next(4) == 0 ? (uint)random.Next() : (uint)random.Next(0, 2));
        }

        return s;
    }

    private static void CheckWritesStayedInside(Episode episode, byte[] before)
    {
        ReadOnlySpan<byte> now = episode.Memory.GetSpan(new GuestAddress(0), before.Length);
        VirtQueueConfig config = episode.Queues[0].Config;
        ulong usedStart = config.DeviceArea.Value, usedEnd = usedStart + 6 + (8UL * QueueSize);
        int at = 0;
        while (true)
        {
            at += now[at..].CommonPrefixLength(before.AsSpan(at));
            if (at >= before.Length)
            {
                return;
            }

            ulong address = (ulong)at;
            Assert.True((address >= usedStart && address < usedEnd) || episode.Hostile.MayWrite(address),
                $"the device wrote guest memory at 0x{address:x}, outside the used ring and the writable buffers");
            at++;
        }
    }

    [Theory]
    [InlineData(21)]
    public void Entropy_survives_random_requests(int seed)
    {
        var random = new Random(seed);
        var device = new VirtioEntropyDevice(new HostEntropySource(), QueueSize);
        _owned.Add(device);
        RunSimple(random, device, 1, _ => [random.Next(6) == 0 ? In(Bytes(random, 8)) : Out((uint)random.Next(0, 5000))]);

        // Still alive.
        var episode = new Episode(random, 1);
        device.Reset();
        device.Activate(episode.Activation(device.DeviceFeatures, _interrupt));
        ushort used = episode.Queues[0].UsedIdx;
        episode.Queues[0].AddChain(ChainBuffer.Out(64));
        device.Notify(0);
        Assert.True(WaitFor(() => episode.Queues[0].UsedIdx != used));
        Assert.Equal(64u, episode.Queues[0].Used(used).Length);
        episode.Dispose();
    }

    [Theory]
    [InlineData(31)]
    public void Console_survives_random_requests(int seed)
    {
        var random = new Random(seed);
        var output = new MemoryStream();
        var device = new VirtioConsoleDevice(output, QueueSize);
        _owned.Add(device);
        RunSimple(random, device, 2, q =>
        {
            if (q == VirtioConsoleDevice.ReceiveQueue)
            {
                device.EnqueueInput(Bytes(random, random.Next(1, 300)));
            }

            return [q == 1 ? In(Bytes(random, random.Next(1, 300))) : Out((uint)random.Next(0, 300))];
        });

        var episode = new Episode(random, 2);
        device.Reset();
        device.Activate(episode.Activation(device.DeviceFeatures, _interrupt));
        long written = output.Length;
        episode.Publish(random, 1, [In("hello"u8.ToArray())], mutate: false);
        device.Notify(1);
        Assert.True(WaitFor(() => device.BytesTransmitted >= 5 && output.Length == written + 5));
        episode.Dispose();
    }

    [Theory]
    [InlineData(41)]
    public void Net_survives_random_requests(int seed)
    {
        var random = new Random(seed);
        var backend = new FakeNetworkBackend();
        var device = new VirtioNetDevice(backend, [2, 0, 0, 0, 0, 1], QueueSize);
        _owned.Add(device);
        // Without MRG_RXBUF each frame takes one receive chain, so every posted chain is used once a frame waits.
        ulong features = device.DeviceFeatures & ~VirtioNetFeatures.MrgRxbuf & (ulong)random.NextInt64(long.MaxValue) | VirtioFeatures.Version1;
        RunSimple(random, device, 2, q =>
        {
            if (q == VirtioNetDevice.ReceiveQueue)
            {
                backend.Enqueue(Bytes(random, random.Next(VirtioNetHeader.Size, 3000)));
                return [Out((uint)random.Next(0, 4000))];
            }

            return [In(Bytes(random, random.Next(0, 40))), In(Bytes(random, random.Next(0, 2000)))];
        }, features);

        var episode = new Episode(random, 2);
        device.Reset();
        device.Activate(episode.Activation(VirtioFeatures.Version1, _interrupt));
        int sent = backend.Written.Count;
        byte[] frame = new byte[VirtioNetHeader.Size + 60];
        episode.Publish(random, 1, [In(frame)], mutate: false);
        device.Notify(1);
        Assert.True(WaitFor(() => backend.Written.Count == sent + 1), "a good frame after the fuzz was not sent");
        episode.Dispose();
    }

    private void RunSimple(Random random, IVirtioDevice device, int queues, Func<int, IReadOnlyList<(bool, byte[], uint)>> shape,
        ulong? features = null)
    {
        ulong negotiated = features ?? device.DeviceFeatures;
        var episode = new Episode(random, queues);
        device.Activate(episode.Activation(negotiated, _interrupt));
        for (int iteration = 0; iteration < 500; iteration++)
        {
            int q = random.Next(queues);
            if (!Submit(episode, device, random, q, shape(q), random.Next(4) == 0))
            {
                device.Reset();
                episode.Dispose();
                episode = new Episode(random, queues);
                device.Activate(episode.Activation(negotiated, _interrupt));
            }
        }

        device.Reset();
        episode.Dispose();
    }
}
