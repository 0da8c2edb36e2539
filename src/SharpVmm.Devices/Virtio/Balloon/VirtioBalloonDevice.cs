using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio.Balloon;

/// <summary>
/// A traditional memory balloon (virtio 1.2, 5.5) as Firecracker has it: the host sets a target in 4 KiB pages
/// (<see cref="SetTarget"/>, the configuration's <c>num_pages</c>, announced with a configuration change notification);
/// the driver inflates by sending the frame numbers of pages it gave up on inflateq (queue 0), whose host memory is
/// returned to the host (<see cref="Memory.GuestMemory.Discard"/>), and deflates on deflateq (queue 1), where nothing
/// needs doing (the pages fault back in). With statistics on, statsq (queue 2) carries the guest's memory statistics:
/// the device keeps the driver's buffer and hands it back every polling interval so the driver refills it.
/// </summary>
/// <remarks>
/// All three queues are served on one device thread. Guest mistakes (frames outside RAM, buffers of odd length or
/// without a readable part) are counted, never thrown.
/// </remarks>
public sealed partial class VirtioBalloonDevice : IVirtioDevice, IVirtioNotificationSource, IPausable, IDeviceHealth, IVirtioQueueStateSource
{
    /// <summary>Index of inflateq.</summary>
    public const int InflateQueue = 0;

    /// <summary>Index of deflateq.</summary>
    public const int DeflateQueue = 1;

    /// <summary>Index of statsq (present only with statistics on).</summary>
    public const int StatsQueue = 2;

    /// <summary>The balloon's page size: a frame number counts 4 KiB pages whatever the guest's page size.</summary>
    public const int PageSize = 4096;

    /// <summary>4 KiB pages in a MiB.</summary>
    public const uint PagesPerMib = 256;

    // struct virtio_balloon_config: le32 num_pages, le32 actual (5.5.4); the later fields need features not offered.
    private const int ConfigBytes = 8;
    private const int ActualOffset = 4;

    private readonly Lock _lifecycle = new();
    private readonly ushort _queueSize;
    private readonly TimeProvider _time;
    private readonly VirtioWorker _worker;
    private DeviceQueue? _inflate, _deflate, _stats;
    private IVirtioInterrupt? _interrupt;
    private uint _targetPages, _actualPages;
    private long _inflatedPages, _deflatedPages, _bytesReturned, _invalidPfns, _malformedRequests, _discardCalls;
    private bool _disposed;

    /// <summary>Creates a balloon whose first target is <paramref name="amountMib"/> MiB.</summary>
    /// <param name="amountMib">The first target, in MiB.</param>
    /// <param name="deflateOnOom">Offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM.</param>
    /// <param name="statsPollingIntervalSeconds">Seconds between statistics requests; 0 for no statistics queue.</param>
    /// <param name="time">The clock of the statistics timer; the system's by default.</param>
    /// <param name="queueSize">Maximum size of each queue (a power of two).</param>
    public VirtioBalloonDevice(uint amountMib, bool deflateOnOom = false, int statsPollingIntervalSeconds = 0,
        TimeProvider? time = null, ushort queueSize = 256)
    {
        if (queueSize == 0 || (queueSize & (queueSize - 1)) != 0 || queueSize > VirtQueue.MaxQueueSize)
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "a queue size is a power of two of at most 32768");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(statsPollingIntervalSeconds);
        _targetPages = MibToPages(amountMib);
        _queueSize = queueSize;
        _time = time ?? TimeProvider.System;
        _statsInterval = statsPollingIntervalSeconds;
        StatisticsEnabled = statsPollingIntervalSeconds > 0;
        DeflateOnOom = deflateOnOom;
        QueueMaxSizes = StatisticsEnabled ? [queueSize, queueSize, queueSize] : [queueSize, queueSize];
        _worker = new VirtioWorker("virtio-balloon", Service);
    }

    /// <summary>Whether the device has a statistics queue (fixed when it is built, as in Firecracker).</summary>
    public bool StatisticsEnabled { get; }

    /// <summary>Whether VIRTIO_BALLOON_F_DEFLATE_ON_OOM is offered.</summary>
    public bool DeflateOnOom { get; }

    /// <summary>The target, in 4 KiB pages.</summary>
    public uint TargetPages => Volatile.Read(ref _targetPages);

    /// <summary>The pages the driver last said the balloon holds (<c>actual</c>).</summary>
    public uint ActualPages => Volatile.Read(ref _actualPages);

    /// <summary>Pages the driver put in the balloon (valid frame numbers received on inflateq).</summary>
    public long InflatedPages => Interlocked.Read(ref _inflatedPages);

    /// <summary>Pages the driver took out of the balloon (valid frame numbers received on deflateq).</summary>
    public long DeflatedPages => Interlocked.Read(ref _deflatedPages);

    /// <summary>Bytes of guest memory whose host memory was returned to the host.</summary>
    public long BytesReturnedToHost => Interlocked.Read(ref _bytesReturned);

    /// <summary>Frame numbers outside guest RAM, ignored.</summary>
    public long InvalidPfns => Interlocked.Read(ref _invalidPfns);

    /// <summary>Requests with nothing readable, a length that is not a whole number of entries, or too many entries.</summary>
    public long MalformedRequests => Interlocked.Read(ref _malformedRequests);

    /// <summary>How many ranges were returned to the host (adjacent frames go back as one range).</summary>
    public long DiscardCalls => Interlocked.Read(ref _discardCalls);

    /// <inheritdoc />
    public VirtioDeviceType DeviceType => VirtioDeviceType.Balloon;

    /// <inheritdoc />
    public ulong DeviceFeatures => VirtioFeatures.Common
        | (StatisticsEnabled ? VirtioBalloonFeatures.StatsQueue : 0)
        | (DeflateOnOom ? VirtioBalloonFeatures.DeflateOnOom : 0);

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <inheritdoc />
    public int ConfigSize => ConfigBytes;

    /// <summary>Pages in <paramref name="mib"/> MiB, saturating at the largest page count the configuration holds.</summary>
    public static uint MibToPages(uint mib) => (uint)Math.Min((ulong)mib * PagesPerMib, uint.MaxValue);

    /// <summary>
    /// Sets the target to <paramref name="amountMib"/> MiB: <c>num_pages</c> changes and, once the driver runs, it is
    /// told with a configuration change notification. May be called from any thread.
    /// </summary>
    public void SetTarget(uint amountMib)
    {
        Volatile.Write(ref _targetPages, MibToPages(amountMib));
        IVirtioInterrupt? interrupt;
        lock (_lifecycle)
        {
            interrupt = _interrupt;
        }

        interrupt?.SignalConfigChange();
    }

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[ConfigBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(config, TargetPages);
        BinaryPrimitives.WriteUInt32LittleEndian(config[ActualOffset..], ActualPages);
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            data[i] = at < ConfigBytes ? config[(int)at] : (byte)0;
        }
    }

    /// <inheritdoc />
    /// <remarks>Only <c>actual</c> is the driver's to write; writes to <c>num_pages</c> or past the end are ignored.</remarks>
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        Span<byte> actual = stackalloc byte[4];
        lock (_lifecycle)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(actual, _actualPages);
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                if (at is >= ActualOffset and < ConfigBytes)
                {
                    actual[(int)at - ActualOffset] = data[i];
                }
            }

            Volatile.Write(ref _actualPages, BinaryPrimitives.ReadUInt32LittleEndian(actual));
        }
    }

    /// <inheritdoc />
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _memory = activation.Memory;
            _interrupt = activation.Interrupt;
            _inflate = DeviceQueue.CreateIfReady(activation, InflateQueue);
            _deflate = DeviceQueue.CreateIfReady(activation, DeflateQueue);
            bool stats = StatisticsEnabled && (activation.Features & VirtioBalloonFeatures.StatsQueue) != 0;
            _stats = stats ? DeviceQueue.CreateIfReady(activation, StatsQueue) : null;
            RetakeRestoredStats(activation);
            StartStatsTimer();
            _worker.Start();
        }
    }

    /// <inheritdoc />
    public void Notify(int queueIndex)
    {
        if (queueIndex >= 0 && queueIndex < QueueMaxSizes.Count)
        {
            _worker.Kick();
        }
    }

    /// <inheritdoc />
    /// <remarks>All the queues share the one device thread, and so its handle.</remarks>
    public SafeHandle? QueueNotificationHandle(int queueIndex) =>
        queueIndex >= 0 && queueIndex < QueueMaxSizes.Count ? _worker.NotificationHandle : null;

    /// <inheritdoc />
    public long IdleWaits(int queueIndex) => queueIndex >= 0 && queueIndex < QueueMaxSizes.Count ? _worker.IdleWaits : 0;

    /// <inheritdoc />
    public Exception? Failure => _worker.Failure;

    /// <inheritdoc />
    public void Pause() => _worker.Pause();

    /// <inheritdoc />
    public void Resume() => _worker.Resume();

    /// <inheritdoc />
    public void Reset()
    {
        lock (_lifecycle)
        {
            if (!_disposed)
            {
                Stop();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Stop();
        }

        _worker.Dispose();
    }

    // Under _lifecycle.
    private void Stop()
    {
        StopStatsTimer();
        _worker.Stop();
        _inflate = null;
        _deflate = null;
        _stats = null;
        _heldStats = null;
        _interrupt = null;
        _memory = null;
    }

    private void Service()
    {
        _inflate?.Drain(Inflate, () => !_worker.ShouldYield);
        _deflate?.Drain(Deflate, () => !_worker.ShouldYield);
        ServiceStats();
    }
}
