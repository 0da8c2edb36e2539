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
/// Each device fed seeded random requests, mostly well-shaped and one in four with a hostile descriptor. After every
/// request: guest memory changed only in the used rings and the buffers the driver made writable (for a well-shaped
/// chain, its own), the used element is the chain's with a length no more than its writable bytes, and the device's
/// counters agree with what the guest and the host saw (bytes provided, transmitted, received; frames and drops). No
/// exception escapes (a dead worker would take the test host down, and the device must still answer a good request
/// afterwards), a broken ring only asks for a reset, and virtio-blk writes nothing outside its image.
/// </summary>
/// <remarks>
/// Without indirect descriptors every buffer a device may write is one the test wrote into a queue's table (an indirect
/// table would be random guard bytes), so the devices are fuzzed without VIRTIO_F_INDIRECT_DESC; the ring parser's
/// indirect cases are VirtQueueFuzzTests'.
/// </remarks>
[Tier(TestTiers.Unit)]
public sealed class VirtioDeviceFuzzTests : IDisposable
{
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

    /// <summary>What one submitted chain came to: whether the ring stayed sound, and its used length if it was used.</summary>
    private readonly record struct Outcome(bool Healthy, FuzzChain Chain, uint? UsedLength);

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

    /// <summary>
    /// Publishes, kicks, and waits until the chain is used or the device asked for a reset; then checks what the device
    /// wrote and the used element it returned.
    /// </summary>
    private Outcome Submit(FuzzEpisode episode, IVirtioDevice device, Random random, int q, IReadOnlyList<(bool, byte[], uint)> shape, bool mutate)
    {
        int resets = _interrupt.NeedsResetSignals;
        VirtQueueBuilder queue = episode.Queues[q];
        ushort used = queue.UsedIdx;
        FuzzChain chain = episode.Publish(random, q, shape, mutate);
        byte[] before = episode.Snapshot();
        device.Notify(q);
        Assert.True(WaitFor(() => queue.UsedIdx != used || _interrupt.NeedsResetSignals != resets),
            "the device neither used the chain nor asked for a reset");
        bool healthy = _interrupt.NeedsResetSignals == resets;
        episode.AssertWritesStayedInside(before, chain);
        if (queue.UsedIdx == used)
        {
            return new Outcome(healthy, chain, null);
        }

        // Every earlier chain was used already: this one is the only one the device could return.
        Assert.Equal((ushort)(used + 1), queue.UsedIdx);
        (uint id, uint length) = queue.Used(used);
        Assert.Equal(chain.Head, id);
        ulong writable = episode.WritableBytes(q, chain.Head);
        Assert.True(length <= writable, $"used length {length} for a chain with {writable} writable bytes (queue {q}, head {chain.Head}, hostile: {mutate})");
        return new Outcome(healthy, chain, length);
    }

    /// <summary>Waits (device threads count after they return a chain) until <paramref name="holds"/>; fails with <paramref name="what"/>.</summary>
    private static void Eventually(Func<bool> holds, Func<string> what) => Assert.True(WaitFor(holds), what());

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
        ulong features = device.DeviceFeatures & ~VirtioFeatures.RingIndirectDescriptors;
        var episode = new FuzzEpisode(random, 1, QueueSize);
        device.Activate(episode.Activation(features, _interrupt));
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

            bool healthy = Submit(episode, device, random, 0, shape, mutate).Healthy;
            Assert.Equal(Sectors * 512L, new FileInfo(path).Length);

            if (!healthy || device.QueueBrokenReason is not null)
            {
                brokenRings++;
                device.Reset();
                episode.Dispose();
                episode = new FuzzEpisode(random, 1, QueueSize);
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

    [Theory]
    [InlineData(21)]
    public void Entropy_fills_exactly_the_writable_bytes_of_random_requests_and_counts_them(int seed)
    {
        var random = new Random(seed);
        var device = new VirtioEntropyDevice(new HostEntropySource(), QueueSize);
        _owned.Add(device);
        long usedBytes = 0;
        RunSimple(random, device, 1, _ => [random.Next(6) == 0 ? In(Bytes(random, 8)) : Out((uint)random.Next(0, 5000))], (_, _, shape, outcome) =>
        {
            if (outcome.UsedLength is not uint length)
            {
                return;
            }

            usedBytes += length;
            if (!outcome.Chain.Mutated)
            {
                long writable = shape.Where(b => b.Write).Sum(b => (long)b.Length);
                Assert.Equal(Math.Min(writable, VirtioEntropyDevice.MaxBytesPerRequest), length);
            }

            Eventually(() => device.BytesProvided == usedBytes, () => $"{device.BytesProvided} bytes provided, {usedBytes} in used lengths");
        });
        Assert.True(usedBytes > 100_000, $"only {usedBytes} bytes were provided");

        // Still alive.
        var episode = new FuzzEpisode(random, 1, QueueSize);
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
    public void Console_transmits_and_receives_random_requests_byte_for_byte_and_counts_them(int seed)
    {
        var random = new Random(seed);
        var output = new MemoryStream();
        var device = new VirtioConsoleDevice(output, QueueSize);
        _owned.Add(device);
        byte nextInput = 0;          // host input is a running byte counter, so order and loss show
        byte? expectedInput = 0;     // the next byte a receive buffer must start with; unknown after a hostile chain
        long outputSeen = 0, received = 0;
        RunSimple(random, device, 2, q =>
        {
            if (q == VirtioConsoleDevice.ReceiveQueue)
            {
                byte[] input = new byte[random.Next(1, 300)];
                for (int i = 0; i < input.Length; i++)
                {
                    input[i] = nextInput++;
                }

                device.EnqueueInput(input);
                return [Out((uint)random.Next(0, 300))];
            }

            return [In(Bytes(random, random.Next(1, 300)))];
        }, (episode, q, shape, outcome) =>
        {
            Eventually(() => device.BytesTransmitted == output.Length, () => $"{device.BytesTransmitted} bytes counted as sent, {output.Length} written");
            byte[] sent = output.ToArray()[(int)outputSeen..];
            outputSeen = output.Length;
            if (outcome.UsedLength is not uint length)
            {
                return;
            }

            if (q == VirtioConsoleDevice.TransmitQueue)
            {
                Assert.Equal(0u, length); // a transmit chain has nothing to write
                if (!outcome.Chain.Mutated)
                {
                    Assert.Equal(shape[0].Data, sent);
                }

                return;
            }

            received += length;
            Eventually(() => device.BytesReceived == received, () => $"{device.BytesReceived} bytes counted as received, {received} in used lengths");
            if (outcome.Chain.Mutated || !outcome.Healthy)
            {
                expectedInput = null; // a hostile chain may take input it cannot hold
            }
            else if (length > 0)
            {
                byte[] got = episode.Memory.GetSpan(new GuestAddress(outcome.Chain.WritableRanges[0].Start), (int)length).ToArray();
                Assert.True(expectedInput is null || got[0] == expectedInput, $"input resumed at byte {got[0]}, not {expectedInput}");
                for (int i = 1; i < got.Length; i++)
                {
                    Assert.True(got[i] == (byte)(got[i - 1] + 1), $"input bytes out of order in one buffer: {got[i - 1]} then {got[i]}");
                }

                expectedInput = (byte)(got[^1] + 1);
            }
        });
        Assert.True(received > 1000 && outputSeen > 1000, $"only {received} bytes received and {outputSeen} sent");

        var episode = new FuzzEpisode(random, 2, QueueSize);
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
    public void Net_sends_and_receives_random_requests_and_accounts_for_every_chain(int seed)
    {
        var random = new Random(seed);
        var backend = new FakeNetworkBackend();
        var device = new VirtioNetDevice(backend, [2, 0, 0, 0, 0, 1], QueueSize);
        _owned.Add(device);
        // Without MRG_RXBUF each frame takes one receive chain, so every posted chain is used once a frame waits.
        ulong features = device.DeviceFeatures & ~VirtioNetFeatures.MrgRxbuf & (ulong)random.NextInt64(long.MaxValue) | VirtioFeatures.Version1;
        long usedChains = 0, received = 0;
        int sentSeen = 0;
        RunSimple(random, device, 2, q =>
        {
            if (q == VirtioNetDevice.ReceiveQueue)
            {
                backend.Enqueue(Bytes(random, random.Next(VirtioNetHeader.Size, 3000)));
                return [Out((uint)random.Next(0, 4000))];
            }

            return [In(Bytes(random, random.Next(0, 40))), In(Bytes(random, random.Next(0, 2000)))];
        }, (_, q, shape, outcome) =>
        {
            IReadOnlyList<byte[]> sent = backend.Written;
            if (outcome.UsedLength is uint length)
            {
                usedChains++;
                received += q == VirtioNetDevice.ReceiveQueue ? length : 0;
                if (q == VirtioNetDevice.TransmitQueue)
                {
                    Assert.Equal(0u, length); // a transmit chain has nothing to write
                }
            }

            // Each used chain is one outcome: a frame sent, dropped or malformed on transmit; a frame delivered or
            // dropped (too big for the buffer), or a buffer too small for a header, on receive.
            Eventually(() => device.TxFrames + device.TxDropped + device.MalformedChains + device.RxFrames + device.RxDropped == usedChains,
                () => $"{usedChains} chains used, but tx {device.TxFrames} sent + {device.TxDropped} dropped, {device.MalformedChains} malformed, " +
                    $"rx {device.RxFrames} delivered + {device.RxDropped} dropped");
            Eventually(() => device.RxBytes + (VirtioNetHeader.Size * device.RxFrames) == received,
                () => $"{received} bytes in receive used lengths, {device.RxBytes} counted in {device.RxFrames} frames");
            Assert.Equal(sent.Count, device.TxFrames);
            Assert.Equal(sent.Sum(f => (long)f.Length - VirtioNetHeader.Size), device.TxBytes);
            if (q == VirtioNetDevice.TransmitQueue && !outcome.Chain.Mutated && sent.Count > sentSeen)
            {
                byte[] frame = [.. shape[0].Data, .. shape[1].Data];
                frame[VirtioNetHeader.NumBuffersOffset] = frame[VirtioNetHeader.NumBuffersOffset + 1] = 0; // unused on transmit
                Assert.Equal(frame, sent[^1]);
            }

            sentSeen = sent.Count;
        }, features);
        Assert.True(device.TxFrames > 10 && device.RxFrames > 10, $"only {device.TxFrames} frames sent and {device.RxFrames} received");

        var episode = new FuzzEpisode(random, 2, QueueSize);
        device.Reset();
        device.Activate(episode.Activation(VirtioFeatures.Version1, _interrupt));
        int before = backend.Written.Count;
        byte[] good = new byte[VirtioNetHeader.Size + 60];
        episode.Publish(random, 1, [In(good)], mutate: false);
        device.Notify(1);
        Assert.True(WaitFor(() => backend.Written.Count == before + 1), "a good frame after the fuzz was not sent");
        episode.Dispose();
    }

    /// <summary>
    /// Runs 500 seeded requests on random queues of <paramref name="device"/>, each checked by <see cref="Submit"/> and then
    /// by <paramref name="check"/>; a broken ring resets the device and starts a new episode.
    /// </summary>
    private void RunSimple(Random random, IVirtioDevice device, int queues, Func<int, IReadOnlyList<(bool, byte[], uint)>> shape,
        Action<FuzzEpisode, int, IReadOnlyList<(bool Write, byte[] Data, uint Length)>, Outcome> check, ulong? features = null)
    {
        ulong negotiated = (features ?? device.DeviceFeatures) & ~VirtioFeatures.RingIndirectDescriptors;
        var episode = new FuzzEpisode(random, queues, QueueSize);
        device.Activate(episode.Activation(negotiated, _interrupt));
        for (int iteration = 0; iteration < 500; iteration++)
        {
            int q = random.Next(queues);
            IReadOnlyList<(bool, byte[], uint)> requested = shape(q);
            Outcome outcome = Submit(episode, device, random, q, requested, random.Next(4) == 0);
            check(episode, q, requested, outcome);
            if (!outcome.Healthy)
            {
                device.Reset();
                episode.Dispose();
                episode = new FuzzEpisode(random, queues, QueueSize);
                device.Activate(episode.Activation(negotiated, _interrupt));
            }
        }

        device.Reset();
        episode.Dispose();
    }
}
