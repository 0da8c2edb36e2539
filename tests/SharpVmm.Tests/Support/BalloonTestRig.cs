using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Memory;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A balloon's three queues over one 4 MiB flat guest memory: the rings and buffers stay below 1 MiB (each queue with
/// its own data area), so the pages from 1 MiB up are free for the guest's "balloon pages".
/// </summary>
internal sealed class BalloonTestRig : IDisposable
{
    public const ulong MemorySize = 4 << 20;

    /// <summary>The first frame number that no ring or buffer uses.</summary>
    public const uint FirstFreePfn = (uint)(VirtQueueBuilder.MemorySize / VirtioBalloonDevice.PageSize);

    public BalloonTestRig(ushort size = 8)
    {
        Inflate = new VirtQueueBuilder(size, GuestMemory.CreateFlat(MemorySize));
        Deflate = Beside(Inflate, 0x8000, 0x40000, size);
        Stats = Beside(Inflate, 0xA000, 0x60000, size);
    }

    public VirtQueueBuilder Inflate { get; }

    public VirtQueueBuilder Deflate { get; }

    public VirtQueueBuilder Stats { get; }

    public GuestMemory Memory => Inflate.Memory;

    public FakeVirtioInterrupt Interrupt { get; } = new();

    /// <summary>The activation a driver that accepted everything offered would make (statsq only when offered).</summary>
    public VirtioActivation ActivationFor(VirtioBalloonDevice device, IReadOnlyList<VirtQueueState?>? restored = null)
    {
        VirtQueueConfig[] queues = device.StatisticsEnabled
            ? [Inflate.Config, Deflate.Config, Stats.Config]
            : [Inflate.Config, Deflate.Config];
        return new VirtioActivation(Memory, device.DeviceFeatures, queues, Interrupt) { RestoredQueues = restored };
    }

    /// <summary>A buffer of le32 frame numbers.</summary>
    public static byte[] Pfns(params uint[] pfns)
    {
        var bytes = new byte[pfns.Length * 4];
        for (int i = 0; i < pfns.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), pfns[i]);
        }

        return bytes;
    }

    /// <summary>Publishes <paramref name="buffers"/> on <paramref name="queue"/>, notifies, and waits until the device used the chain.</summary>
    public void Submit(VirtioBalloonDevice device, VirtQueueBuilder queue, int index, params ChainBuffer[] buffers)
    {
        ushort before = queue.UsedIdx;
        queue.AddChain(buffers);
        device.Notify(index);
        if (!FakeVirtioInterrupt.WaitFor(() => queue.UsedIdx != before))
        {
            throw new TimeoutException($"the balloon did not use the chain on queue {index}");
        }
    }

    /// <summary>Whether the host page behind guest page <paramref name="pfn"/> is resident (bit 63 of /proc/self/pagemap).</summary>
    public bool IsResident(uint pfn)
    {
        ulong host = (ulong)Memory.Regions[0].HostAddress + ((ulong)pfn * VirtioBalloonDevice.PageSize);
        using var pagemap = new FileStream("/proc/self/pagemap", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        pagemap.Position = (long)(host / VirtioBalloonDevice.PageSize * 8);
        Span<byte> entry = stackalloc byte[8];
        pagemap.ReadExactly(entry);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(entry) >> 63) != 0;
    }

    private static VirtQueueBuilder Beside(VirtQueueBuilder first, ulong rings, uint dataSkip, ushort size)
    {
        var builder = new VirtQueueBuilder(size, first.Memory);
        builder.Config.DescriptorTable = new(rings);
        builder.Config.DriverArea = new(rings + 0x100);
        builder.Config.DeviceArea = new(rings + 0x200);
        _ = builder.Allocate(dataSkip); // its buffers after the first builder's
        return builder;
    }

    public void Dispose() => Memory.Dispose();
}
