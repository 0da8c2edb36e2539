namespace SharpVmm.Devices.Virtio.Balloon;

// Saving and restoring the balloon's target, size, statistics interval and held statistics buffer.
public sealed partial class VirtioBalloonDevice
{
    private VirtioBalloonState? _restored;

    /// <inheritdoc />
    public IReadOnlyList<VirtQueueState?> SaveQueueStates()
    {
        lock (_lifecycle)
        {
            VirtQueueState?[] states = [_inflate?.Queue.SaveState(), _deflate?.Queue.SaveState(), _stats?.Queue.SaveState()];
            return states[..QueueMaxSizes.Count];
        }
    }

    /// <summary>The device's own state. Call while paused.</summary>
    public VirtioBalloonState SaveState()
    {
        lock (_lifecycle)
        {
            return new VirtioBalloonState
            {
                TargetPages = TargetPages,
                ActualPages = ActualPages,
                StatsPollingIntervalSeconds = StatsPollingIntervalSeconds,
                HeldStatsHead = _heldStats?.HeadIndex ?? -1,
            };
        }
    }

    /// <summary>
    /// Takes <paramref name="state"/> back: the target, size and interval at once; the held statistics buffer is taken
    /// again from statsq when the transport's restore activates the device, so call this before that restore.
    /// </summary>
    /// <exception cref="DeviceStateException">The state turns statistics on or off, or names a descriptor outside the
    /// queue; nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The device is already running.</exception>
    public void RestoreState(VirtioBalloonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string Device = "virtio-balloon";
        DeviceStateException.Require(state.StatsPollingIntervalSeconds >= 0 && (state.StatsPollingIntervalSeconds > 0) == StatisticsEnabled,
            Device, nameof(state.StatsPollingIntervalSeconds),
            $"{state.StatsPollingIntervalSeconds} does not match a balloon built with statistics {(StatisticsEnabled ? "on" : "off")}");
        DeviceStateException.Require(state.HeldStatsHead >= -1 && state.HeldStatsHead < _queueSize && (state.HeldStatsHead < 0 || StatisticsEnabled),
            Device, nameof(state.HeldStatsHead), $"{state.HeldStatsHead} is not a descriptor of statsq");
        lock (_lifecycle)
        {
            if (_inflate is not null || _deflate is not null || _stats is not null)
            {
                throw new InvalidOperationException("virtio-balloon: a state is restored before the device is activated");
            }

            Volatile.Write(ref _targetPages, state.TargetPages);
            Volatile.Write(ref _actualPages, state.ActualPages);
            Volatile.Write(ref _statsInterval, state.StatsPollingIntervalSeconds);
            _restored = state with { };
        }
    }

    // Under _lifecycle, in Activate: a restoring activation takes the held statistics buffer again.
    private void RetakeRestoredStats(VirtioActivation activation)
    {
        VirtioBalloonState? restored = _restored;
        _restored = null;
        _heldStats = null;
        if (restored is { HeldStatsHead: >= 0 } && activation.RestoredQueues is not null && _stats is { } stats
            && stats.Queue.TryRetake((ushort)restored.HeldStatsHead, out DescriptorChain chain))
        {
            _heldStats = chain;
        }
    }
}
