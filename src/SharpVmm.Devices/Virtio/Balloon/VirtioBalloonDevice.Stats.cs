using System.Buffers.Binary;

namespace SharpVmm.Devices.Virtio.Balloon;

// statsq (virtio 1.2, 5.5.6.3): the driver posts one buffer of (le16 tag, le64 val) entries; the device keeps
// it and, every polling interval, returns it so the driver refills it and posts it again.
public sealed partial class VirtioBalloonDevice
{
    /// <summary>Most statistics entries read from one buffer (Linux sends 16).</summary>
    public const int MaxStatsEntries = 256;

    private const int StatEntrySize = 10; // struct virtio_balloon_stat is packed: le16 tag, le64 val

    private readonly byte[] _statBytes = new byte[MaxStatsEntries * StatEntrySize];
    private VirtioBalloonStatistics _latest = new();
    private int _statsInterval;
    private ITimer? _statsTimer;
    private volatile bool _statsDue;
    private DescriptorChain? _heldStats;
    private long _statsUpdates;

    /// <summary>Seconds between statistics requests; 0 when the device has no statistics queue.</summary>
    public int StatsPollingIntervalSeconds => Volatile.Read(ref _statsInterval);

    /// <summary>How many statistics buffers the driver has sent.</summary>
    public long StatsUpdates => Interlocked.Read(ref _statsUpdates);

    /// <summary>The target, the balloon's size and the latest statistics the driver reported.</summary>
    public VirtioBalloonStatistics GetStatistics() =>
        Volatile.Read(ref _latest) with { TargetPages = TargetPages, ActualPages = ActualPages };

    /// <summary>
    /// Changes the statistics polling interval; the next request goes out at once. As in Firecracker, statistics cannot
    /// be turned on or off once the device is built: only a non-zero interval can be changed to another.
    /// </summary>
    /// <exception cref="InvalidOperationException">Statistics are off, or <paramref name="seconds"/> is 0 (turning them off).</exception>
    public void SetStatsPollingInterval(int seconds)
    {
        if (!StatisticsEnabled || seconds <= 0)
        {
            throw new InvalidOperationException(StatisticsEnabled
                ? "statistics cannot be turned off once the balloon is built; give a non-zero interval"
                : "statistics cannot be turned on once the balloon is built without them");
        }

        lock (_lifecycle)
        {
            Volatile.Write(ref _statsInterval, seconds);
            _statsTimer?.Change(TimeSpan.Zero, TimeSpan.FromSeconds(seconds));
        }
    }

    // Under _lifecycle, in Activate.
    private void StartStatsTimer()
    {
        if (_stats is not null && _statsInterval > 0)
        {
            TimeSpan period = TimeSpan.FromSeconds(_statsInterval);
            _statsTimer = _time.CreateTimer(_ => OnStatsTimer(), null, period, period);
        }
    }

    // Under _lifecycle.
    private void StopStatsTimer()
    {
        _statsTimer?.Dispose();
        _statsTimer = null;
        _statsDue = false;
    }

    private void OnStatsTimer()
    {
        lock (_lifecycle)
        {
            if (_statsTimer is not null) // not a late tick after a reset or dispose
            {
                _statsDue = true;
                _worker.Kick();
            }
        }
    }

    private void ServiceStats()
    {
        if (_stats is not { } queue)
        {
            return;
        }

        do
        {
            queue.Queue.DisableNotifications();
            while (!_worker.ShouldYield && queue.Queue.TryPop(out DescriptorChain chain))
            {
                if (_heldStats is { } earlier)
                {
                    queue.Queue.AddUsed(earlier, 0); // a driver that posts twice gets the first buffer back
                    queue.NotifyIfNeeded();
                }

                ParseStats(chain);
                _heldStats = chain;
            }
        }
        while (!_worker.ShouldYield && queue.Queue.EnableNotifications());

        queue.Queue.EnableNotifications();
        if (_statsDue && !_worker.ShouldYield)
        {
            _statsDue = false;
            if (_heldStats is { } held)
            {
                _heldStats = null;
                queue.Queue.AddUsed(held, 0);
                queue.NotifyIfNeeded();
            }
        }

        queue.ReportIfBroken();
    }

    private void ParseStats(DescriptorChain chain)
    {
        uint length = chain.ReadableLength;
        if (length == 0 || length % StatEntrySize != 0 || length / StatEntrySize > MaxStatsEntries)
        {
            Interlocked.Increment(ref _malformedRequests);
        }

        int count = (int)Math.Min(length / StatEntrySize, MaxStatsEntries);
        Span<byte> bytes = _statBytes.AsSpan(0, count * StatEntrySize);
        count = chain.CreateReader().Read(bytes) / StatEntrySize;
        VirtioBalloonStatistics stats = Volatile.Read(ref _latest);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = bytes.Slice(i * StatEntrySize, StatEntrySize);
            stats = stats.With(BinaryPrimitives.ReadUInt16LittleEndian(entry), BinaryPrimitives.ReadUInt64LittleEndian(entry[2..]));
        }

        Volatile.Write(ref _latest, stats);
        Interlocked.Increment(ref _statsUpdates); // after the statistics: a reader that sees the count sees them
    }
}
