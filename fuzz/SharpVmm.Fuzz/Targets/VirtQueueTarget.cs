using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// The device side of a split virtqueue (<see cref="VirtQueue"/>) over rings the input wrote. Input: a flags byte
/// (bit 0 VIRTIO_F_INDIRECT_DESC, bit 1 VIRTIO_F_EVENT_IDX, bit 2 rings anywhere in 16 MiB instead of the 64 KiB of
/// guest memory), the queue size (2 bytes), the descriptor table, driver and device area addresses (2 bytes each,
/// scaled by 16 or by 256 with bit 2), then guest memory from address 0. The device pops every chain it can, reads
/// the readable part, writes the writable part and returns each chain with a used length the input picks.
/// </summary>
public sealed class VirtQueueTarget : IFuzzTarget, IDisposable
{
    /// <summary>Guest memory size: 64 KiB.</summary>
    public const int MemorySize = 64 * 1024;

    private readonly GuestMemory _memory = GuestMemory.CreateFlat(MemorySize);
    private readonly byte[] _buffer = new byte[4096];

    /// <inheritdoc />
    public string Name => "virtqueue";

    /// <inheritdoc />
    public string Description => "split virtqueue: chains (direct and indirect) popped, read, written and returned from guest-written rings";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var script = new AccessScript(input);
        byte flags = script.NextByte();
        ulong features = VirtioFeatures.Version1
            | ((flags & 1) != 0 ? VirtioFeatures.RingIndirectDescriptors : 0)
            | ((flags & 2) != 0 ? VirtioFeatures.RingEventIndex : 0);
        int scale = (flags & 4) != 0 ? 8 : 4;
        var config = new VirtQueueConfig(256)
        {
            Size = (ushort)script.NextValue(2),
            DescriptorTable = new GuestAddress(script.NextValue(2) << scale),
            DriverArea = new GuestAddress(script.NextValue(2) << scale),
            DeviceArea = new GuestAddress(script.NextValue(2) << scale),
            Ready = true,
        };
        Span<byte> memory = _memory.GetSpan(new GuestAddress(0), MemorySize);
        memory.Clear();
        ReadOnlySpan<byte> rest = input[Math.Min(input.Length, 9)..];
        rest[..Math.Min(rest.Length, MemorySize)].CopyTo(memory);

        var queue = new VirtQueue(_memory, config, features);
        for (int round = 0; round < 2 * VirtQueue.MaxQueueSize && queue.TryPop(out DescriptorChain chain); round++)
        {
            Serve(queue, chain, (byte)round);
        }

        // What a device does with any queue, broken or not: a report for a stuck guest, notifications on and off.
        _ = queue.DescribeRing();
        _ = queue.NeedsNotification();
        if (queue.EnableNotifications())
        {
            queue.DisableNotifications();
        }
    }

    private void Serve(VirtQueue queue, DescriptorChain chain, byte round)
    {
        DescriptorChainReader reader = chain.CreateReader();
        while (reader.Read(_buffer) > 0)
        {
        }

        DescriptorChainWriter writer = chain.CreateWriter();
        long left = writer.Remaining;
        while (left > 0)
        {
            int written = writer.Write(_buffer.AsSpan(0, (int)Math.Min(left, _buffer.Length)));
            if (written == 0)
            {
                throw new FuzzFindingException($"the writer took nothing with {writer.Remaining} bytes remaining");
            }

            left -= written;
        }

        // Used lengths past the writable bytes (a device bug the queue must clamp) are tried too.
        uint used = (round & 3) == 3 ? uint.MaxValue : writer.BytesWritten;
        queue.AddUsed(chain, used);
        _ = queue.NeedsNotification();
    }

    /// <inheritdoc />
    public void Dispose() => _memory.Dispose();
}
