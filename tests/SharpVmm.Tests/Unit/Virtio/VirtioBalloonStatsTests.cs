using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioBalloonStatsTests : IDisposable
{
    private readonly BalloonTestRig _rig = new();
    private readonly FakeTimeProvider _clock = new();

    public void Dispose() => _rig.Dispose();

    private static byte[] Stats(params (ushort Tag, ulong Value)[] entries)
    {
        var bytes = new byte[entries.Length * 10];
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 10), entries[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((i * 10) + 2), entries[i].Value);
        }

        return bytes;
    }

    private VirtioBalloonDevice Start(int interval = 5)
    {
        var device = new VirtioBalloonDevice(4, statsPollingIntervalSeconds: interval, time: _clock, queueSize: 8);
        device.Activate(_rig.ActivationFor(device));
        return device;
    }

    /// <summary>Posts a statistics buffer as the driver does and waits until the device has read it.</summary>
    private void Post(VirtioBalloonDevice device, byte[] buffer)
    {
        long before = device.StatsUpdates;
        _rig.Stats.AddChain(ChainBuffer.In(buffer));
        device.Notify(VirtioBalloonDevice.StatsQueue);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.StatsUpdates > before), "the device never read the statistics");
    }

    [Fact]
    public void The_driver_statistics_are_kept_with_firecracker_names_and_the_balloon_size()
    {
        using VirtioBalloonDevice device = Start();
        device.WriteConfig(4, [0x00, 0x02, 0, 0]); // actual = 512 pages
        Post(device, Stats((0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (9, 10), (10, 11), (99, 12)));

        VirtioBalloonStatistics stats = device.GetStatistics();
        Assert.Equal(1024u, stats.TargetPages);
        Assert.Equal(4u, stats.TargetMib);
        Assert.Equal(512u, stats.ActualPages);
        Assert.Equal(2u, stats.ActualMib);
        Assert.Equal((1UL, 2UL, 3UL, 4UL), (stats.SwapIn, stats.SwapOut, stats.MajorFaults, stats.MinorFaults));
        Assert.Equal((5UL, 6UL, 7UL, 8UL), (stats.FreeMemory, stats.TotalMemory, stats.AvailableMemory, stats.DiskCaches));
        Assert.Equal((9UL, 10UL, 11UL), (stats.HugetlbAllocations, stats.HugetlbFailures, stats.OomKill));
        Assert.Null(stats.DirectReclaim);
    }

    [Fact]
    public void The_statistics_buffer_is_held_and_returned_to_the_guest_each_interval()
    {
        using VirtioBalloonDevice device = Start(interval: 5);
        Post(device, Stats((4, 100)));
        Assert.Equal(0, _rig.Stats.UsedIdx); // kept until the interval is up

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rig.Stats.UsedIdx == 1), "the buffer never came back");
        Assert.True(_rig.Interrupt.UsedSignals >= 1);

        Post(device, Stats((4, 200))); // the driver refills it
        Assert.Equal(200UL, device.GetStatistics().FreeMemory);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rig.Stats.UsedIdx == 2), "the refilled buffer never came back");
    }

    [Fact]
    public void An_interval_with_no_buffer_posted_returns_nothing_and_a_later_buffer_waits_for_the_next()
    {
        using VirtioBalloonDevice device = Start(interval: 2);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.IdleWaits(VirtioBalloonDevice.StatsQueue) >= 1), "the device thread never went to sleep");
        long idle = device.IdleWaits(VirtioBalloonDevice.StatsQueue);
        _clock.Advance(TimeSpan.FromSeconds(2)); // nothing held yet: the tick's pass returns nothing
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.IdleWaits(VirtioBalloonDevice.StatsQueue) > idle), "the tick never woke the device");
        Post(device, Stats((5, 1)));
        Thread.Sleep(50);
        Assert.Equal(0, _rig.Stats.UsedIdx);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rig.Stats.UsedIdx == 1));
    }

    [Fact]
    public void Changing_the_interval_is_allowed_but_turning_statistics_on_or_off_is_not()
    {
        using VirtioBalloonDevice device = Start(interval: 60);
        Post(device, Stats((4, 1)));
        device.SetStatsPollingInterval(1); // the next request goes out at once
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rig.Stats.UsedIdx == 1));
        Assert.Equal(1, device.StatsPollingIntervalSeconds);
        Assert.Throws<InvalidOperationException>(() => device.SetStatsPollingInterval(0));

        using var plain = new VirtioBalloonDevice(0, queueSize: 8);
        Assert.Throws<InvalidOperationException>(() => plain.SetStatsPollingInterval(3));
    }

    [Fact]
    public void Hostile_statistics_buffers_are_counted_never_thrown()
    {
        using VirtioBalloonDevice device = Start();
        Post(device, [1, 2, 3]); // not even one entry
        Post(device, [.. Stats((4, 9)), 7]); // a partial entry after a whole one
        Post(device, new byte[(VirtioBalloonDevice.MaxStatsEntries + 5) * 10]);
        _rig.Stats.AddChain(ChainBuffer.Out(40)); // write-only
        device.Notify(VirtioBalloonDevice.StatsQueue);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.StatsUpdates == 4));

        Assert.Equal(4, device.MalformedRequests);
        Assert.Equal(9UL, device.GetStatistics().FreeMemory);
        Assert.Equal(3, _rig.Stats.UsedIdx); // each buffer posted over a held one sent the held one back
        Assert.Null(device.Failure);
    }

    [Fact]
    public void Save_and_restore_keep_the_target_the_size_the_interval_and_the_held_statistics_buffer()
    {
        VirtioBalloonState state;
        IReadOnlyList<VirtQueueState?> queues;
        using (VirtioBalloonDevice device = Start(interval: 5))
        {
            device.SetTarget(7);
            device.WriteConfig(4, [0x10, 0, 0, 0]);
            _rig.Submit(device, _rig.Inflate, VirtioBalloonDevice.InflateQueue, ChainBuffer.In(BalloonTestRig.Pfns(BalloonTestRig.FirstFreePfn)));
            Post(device, Stats((4, 1)));
            device.Pause();
            state = device.SaveState();
            queues = device.SaveQueueStates();
        }

        Assert.Equal((7u * 256, 0x10u, 5), (state.TargetPages, state.ActualPages, state.StatsPollingIntervalSeconds));
        Assert.True(state.HeldStatsHead >= 0);
        Assert.Equal(3, queues.Count);
        Assert.Equal(1, queues[VirtioBalloonDevice.InflateQueue]!.LastAvailIndex);

        using var restored = new VirtioBalloonDevice(0, statsPollingIntervalSeconds: 5, time: _clock, queueSize: 8);
        restored.RestoreState(state);
        restored.Activate(_rig.ActivationFor(restored, queues));
        Assert.Equal(7u * 256, restored.TargetPages);
        Assert.Equal(0x10u, restored.ActualPages);

        _clock.Advance(TimeSpan.FromSeconds(5)); // the held buffer goes back to the guest from the restored device
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rig.Stats.UsedIdx == 1), "the restored device lost the held buffer");
        restored.Pause();
        Assert.Equal(-1, restored.SaveState().HeldStatsHead);
    }

    [Fact]
    public void A_state_that_turns_statistics_on_or_names_a_bad_descriptor_is_refused()
    {
        using var plain = new VirtioBalloonDevice(0, queueSize: 8);
        var ex = Assert.Throws<DeviceStateException>(() => plain.RestoreState(new VirtioBalloonState { StatsPollingIntervalSeconds = 5 }));
        Assert.Equal(nameof(VirtioBalloonState.StatsPollingIntervalSeconds), ex.Field);

        using var stats = new VirtioBalloonDevice(0, statsPollingIntervalSeconds: 1, queueSize: 8);
        ex = Assert.Throws<DeviceStateException>(() => stats.RestoreState(new VirtioBalloonState { StatsPollingIntervalSeconds = 1, HeldStatsHead = 8 }));
        Assert.Equal(nameof(VirtioBalloonState.HeldStatsHead), ex.Field);
    }
}
