using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpVmm.Devices.Virtio.Block;

/// <summary>
/// A virtio block device (virtio 1.2, section 5.2) over a <see cref="RawDiskImage"/>, with one request queue served by
/// the device's own thread. Owns the image and disposes it.
/// </summary>
public sealed class VirtioBlockDevice : IVirtioDevice, IVirtioNotificationSource, IPausable, IDeviceHealth, IVirtioQueueStateSource
{
    /// <summary>VIRTIO_BLK_F_SEG_MAX (bit 2): seg_max is valid (5.2.3).</summary>
    public const ulong FeatureSegMax = 1UL << 2;

    /// <summary>VIRTIO_BLK_F_RO (bit 5): the device is read-only.</summary>
    public const ulong FeatureReadOnly = 1UL << 5;

    /// <summary>VIRTIO_BLK_F_BLK_SIZE (bit 6): blk_size is valid.</summary>
    public const ulong FeatureBlockSize = 1UL << 6;

    /// <summary>VIRTIO_BLK_F_FLUSH (bit 9): the FLUSH command is supported.</summary>
    public const ulong FeatureFlush = 1UL << 9;

    /// <summary>VIRTIO_BLK_F_DISCARD (bit 13): the DISCARD command is supported.</summary>
    public const ulong FeatureDiscard = 1UL << 13;

    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES (bit 14): the WRITE_ZEROES command is supported.</summary>
    public const ulong FeatureWriteZeroes = 1UL << 14;

    /// <summary>The sector size of the virtio-blk protocol (5.2.6: sectors are always 512 bytes).</summary>
    public const int SectorSize = 512;

    /// <summary>Length of the serial returned by GET_ID (VIRTIO_BLK_ID_BYTES, 5.2.6).</summary>
    public const int IdBytes = 20;

    /// <summary>The seg_max offered: data segments per request (the chain minus header and status).</summary>
    public const uint SegMax = 126;

    /// <summary>Largest DISCARD / WRITE_ZEROES range per segment, in sectors (max_discard_sectors etc.).</summary>
    public const uint MaxRangeSectors = 1u << 22;

    /// <summary>Segments per DISCARD / WRITE_ZEROES request (max_discard_seg, max_write_zeroes_seg).</summary>
    public const uint MaxRangeSegments = 16;

    // struct virtio_blk_config offsets (5.2.4).
    private const int CfgCapacity = 0, CfgSegMax = 12, CfgBlkSize = 20, CfgNumQueues = 34, CfgMaxDiscardSectors = 36,
        CfgMaxDiscardSeg = 40, CfgDiscardAlignment = 44, CfgMaxWriteZeroesSectors = 48, CfgMaxWriteZeroesSeg = 52,
        CfgWriteZeroesMayUnmap = 56;

    private readonly byte[] _config = new byte[60];
    private readonly ushort _queueSize;
    private VirtioBlockRequestHandler _handler;
    private IVirtioInterrupt? _interrupt;
    private readonly SingleQueueService _service;

    /// <summary>Creates a disk over <paramref name="image"/>.</summary>
    /// <param name="image">The image; read-only images make a read-only disk (VIRTIO_BLK_F_RO).</param>
    /// <param name="name">Names the worker thread ("virtio-blk vda").</param>
    /// <param name="serial">Returned by GET_ID: at most 20 ASCII bytes, zero-padded.</param>
    /// <param name="queueSize">The request queue's maximum size (a power of two).</param>
    public VirtioBlockDevice(RawDiskImage image, string name = "vda", string? serial = null, ushort queueSize = 256)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (queueSize == 0 || (queueSize & (queueSize - 1)) != 0 || queueSize > VirtQueue.MaxQueueSize)
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "a queue size is a power of two of at most 32768");
        }

        byte[] id = Encoding.ASCII.GetBytes(serial ?? "");
        if (id.Length > IdBytes)
        {
            throw new ArgumentException($"a virtio-blk serial has at most {IdBytes} bytes", nameof(serial));
        }

        Image = image;
        Name = name;
        _queueSize = queueSize;
        Serial = new byte[IdBytes];
        id.CopyTo(Serial, 0);
        Capacity = (ulong)image.Length / SectorSize;
        Counters = new VirtioBlockCounters();
        _handler = new VirtioBlockRequestHandler(image, Capacity, Serial, Counters);
        _service = new SingleQueueService($"virtio-blk {name}", chain => _handler.Handle(chain), VirtioBlockRequestHandler.DataBytes);

        DeviceFeatures = VirtioFeatures.Common | FeatureSegMax | FeatureBlockSize | FeatureFlush | FeatureDiscard |
            FeatureWriteZeroes | (image.ReadOnly ? FeatureReadOnly : 0);
        Span<byte> c = _config;
        BinaryPrimitives.WriteUInt64LittleEndian(c[CfgCapacity..], Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgSegMax..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgBlkSize..], SectorSize);
        BinaryPrimitives.WriteUInt16LittleEndian(c[CfgNumQueues..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgMaxDiscardSectors..], MaxRangeSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgMaxDiscardSeg..], MaxRangeSegments);
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgDiscardAlignment..], 8); // 4 KiB, the host page / fs block
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgMaxWriteZeroesSectors..], MaxRangeSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(c[CfgMaxWriteZeroesSeg..], MaxRangeSegments);
        c[CfgWriteZeroesMayUnmap] = 1;
    }

    /// <summary>The backing image.</summary>
    public RawDiskImage Image { get; private set; }

    /// <summary>The disk's name (for the worker thread and log lines).</summary>
    public string Name { get; }

    /// <summary>The GET_ID answer: the serial, zero-padded to 20 bytes.</summary>
    internal byte[] Serial { get; }

    /// <summary>Disk size in 512-byte sectors.</summary>
    public ulong Capacity { get; private set; }

    /// <summary>What the device did so far.</summary>
    public VirtioBlockCounters Counters { get; }

    /// <summary>
    /// The disk's rate limiter (Firecracker's drive <c>rate_limiter</c>): the operations bucket pays one token per
    /// request, the bandwidth bucket the data bytes of a READ or WRITE. A request it cannot pay for stays in the ring
    /// until the buckets have refilled; no bucket is set until someone sets one.
    /// </summary>
    public RateLimiting.RateLimiter RateLimiter => _service.RateLimiter;

    /// <summary>Why the request queue stopped, when the driver broke it; else null.</summary>
    public string? QueueBrokenReason => _service.Queue?.Queue.BrokenReason;

    /// <summary>The request queue's indices (<see cref="VirtQueue.DescribeRing"/>), and a device-thread failure if any; null before activation.</summary>
    public string? QueueState => _service.Queue is { } q
        ? q.Queue.DescribeRing() + (_service.WorkerFailure is { } f ? $", device thread stopped: {f.Message}" : "")
        : null;

    /// <inheritdoc />
    public VirtioDeviceType DeviceType => VirtioDeviceType.Block;

    /// <inheritdoc />
    public ulong DeviceFeatures { get; }

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes => [_queueSize];

    /// <inheritdoc />
    public int ConfigSize => _config.Length;

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data)
    {
        data.Clear();
        if (offset < _config.Length)
        {
            lock (_config) // a capacity written by ReplaceImage is read whole
            {
                ReadOnlySpan<byte> source = _config.AsSpan((int)offset);
                source[..Math.Min(source.Length, data.Length)].CopyTo(data);
            }
        }
    }

    /// <inheritdoc />
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        // Every field is read-only without VIRTIO_BLK_F_CONFIG_WCE (5.2.4), which is not offered.
    }

    /// <inheritdoc />
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        _interrupt = activation.Interrupt;
        _service.Activate(activation);
    }

    /// <summary>
    /// Puts <paramref name="image"/> behind the disk in place of the current one (Firecracker's PATCH of a drive's
    /// <c>path_on_host</c>): the device thread is paused between requests, the capacity in the configuration space is
    /// updated, the old image closed, and the driver told by a configuration-change interrupt, so a Linux guest
    /// re-reads the size. The new image must have the same read-only mode, which the driver negotiated.
    /// </summary>
    /// <exception cref="ArgumentException">The new image's read-only mode differs from the old one's.</exception>
    public void ReplaceImage(RawDiskImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.ReadOnly != Image.ReadOnly)
        {
            throw new ArgumentException("the new image must be read-only exactly when the old one was (VIRTIO_BLK_F_RO was negotiated)", nameof(image));
        }

        RawDiskImage old;
        _service.Pause();
        try
        {
            old = Image;
            Image = image;
            Capacity = (ulong)image.Length / SectorSize;
            _handler = new VirtioBlockRequestHandler(image, Capacity, Serial, Counters);
            lock (_config)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(_config.AsSpan(CfgCapacity), Capacity);
            }
        }
        finally
        {
            _service.Resume();
        }

        old.Dispose();
        _interrupt?.SignalConfigChange();
    }

    /// <inheritdoc />
    public void Notify(int queueIndex)
    {
        _service.Notify(queueIndex);
    }

    /// <inheritdoc />
    public SafeHandle? QueueNotificationHandle(int queueIndex) => _service.QueueNotificationHandle(queueIndex);

    /// <inheritdoc />
    public long IdleWaits(int queueIndex) => _service.IdleWaits(queueIndex);

    /// <inheritdoc />
    public Exception? Failure => _service.WorkerFailure;

    /// <inheritdoc />
    /// <remarks>The device keeps no other runtime state: a request is completed before the worker pauses.</remarks>
    public IReadOnlyList<VirtQueueState?> SaveQueueStates() => [_service.SaveQueueState()];

    /// <inheritdoc />
    public void Pause() => _service.Pause();

    /// <inheritdoc />
    public void Resume() => _service.Resume();

    /// <inheritdoc />
    public void Reset()
    {
        _service.Reset();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _service.Dispose();
        Image.Dispose();
    }
}
