using System.Buffers.Binary;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioBalloonDeviceTests : IDisposable
{
    private const uint P = BalloonTestRig.FirstFreePfn;
    private readonly BalloonTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private VirtioBalloonDevice Start(uint amountMib = 0, bool deflateOnOom = false)
    {
        var device = new VirtioBalloonDevice(amountMib, deflateOnOom, queueSize: 8);
        device.Activate(_rig.ActivationFor(device));
        return device;
    }

    private void Inflate(VirtioBalloonDevice device, params uint[] pfns) =>
        _rig.Submit(device, _rig.Inflate, VirtioBalloonDevice.InflateQueue, ChainBuffer.In(BalloonTestRig.Pfns(pfns)));

    private void Touch(uint pfn, byte pattern) =>
        _rig.Memory.GetSpan(new GuestAddress((ulong)pfn * VirtioBalloonDevice.PageSize), VirtioBalloonDevice.PageSize).Fill(pattern);

    private bool IsZero(uint pfn) =>
        !_rig.Memory.GetSpan(new GuestAddress((ulong)pfn * VirtioBalloonDevice.PageSize), VirtioBalloonDevice.PageSize).ContainsAnyExcept((byte)0);

    [Fact]
    public void The_device_is_a_balloon_with_two_queues_and_only_the_features_asked_for()
    {
        using var plain = new VirtioBalloonDevice(0, queueSize: 8);
        using var full = new VirtioBalloonDevice(0, deflateOnOom: true, statsPollingIntervalSeconds: 1, queueSize: 8);

        Assert.Equal(VirtioDeviceType.Balloon, plain.DeviceType);
        Assert.Equal(5u, (uint)plain.DeviceType);
        Assert.Equal([8, 8], plain.QueueMaxSizes);
        Assert.Equal(VirtioFeatures.Common, plain.DeviceFeatures);
        Assert.Equal([8, 8, 8], full.QueueMaxSizes);
        Assert.Equal(VirtioFeatures.Common | VirtioBalloonFeatures.StatsQueue | VirtioBalloonFeatures.DeflateOnOom, full.DeviceFeatures);
        Assert.Equal(8, plain.ConfigSize);
    }

    [Fact]
    public void The_config_holds_the_target_in_pages_and_the_actual_size_the_driver_writes()
    {
        using var device = new VirtioBalloonDevice(3, queueSize: 8);
        Span<byte> config = stackalloc byte[8];
        device.ReadConfig(0, config);
        Assert.Equal(3u * 256, BinaryPrimitives.ReadUInt32LittleEndian(config));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(config[4..]));

        device.WriteConfig(4, [0x34, 0x12, 0, 0]);
        device.WriteConfig(0, [9, 9, 9, 9]); // num_pages is the device's: ignored
        device.WriteConfig(6, [1]); // one byte of actual at a time works too
        device.WriteConfig(100, [1, 2, 3]); // past the end: ignored

        device.ReadConfig(0, config);
        Assert.Equal(768u, BinaryPrimitives.ReadUInt32LittleEndian(config));
        Assert.Equal(0x11234u, device.ActualPages);
        Span<byte> outside = stackalloc byte[4];
        device.ReadConfig(6, outside);
        Assert.Equal(new byte[] { 1, 0, 0, 0 }, outside.ToArray());
    }

    [Fact]
    public void Changing_the_target_updates_num_pages_and_raises_a_config_change_interrupt_once_the_driver_runs()
    {
        using var device = new VirtioBalloonDevice(0, queueSize: 8);
        device.SetTarget(2); // before the driver: nothing to tell
        Assert.Equal(0, _rig.Interrupt.ConfigSignals);
        Assert.Equal(512u, device.TargetPages);

        device.Activate(_rig.ActivationFor(device));
        device.SetTarget(5);

        Assert.Equal(1, _rig.Interrupt.ConfigSignals);
        Span<byte> config = stackalloc byte[4];
        device.ReadConfig(0, config);
        Assert.Equal(5u * 256, BinaryPrimitives.ReadUInt32LittleEndian(config));
    }

    [Fact]
    public void Inflated_pages_are_returned_to_the_host_and_read_back_as_zeros()
    {
        using VirtioBalloonDevice device = Start();
        uint[] pages = [P, P + 1, P + 2, P + 10];
        foreach (uint pfn in pages)
        {
            Touch(pfn, 0xA5);
        }

        Touch(P + 3, 0x5A); // a neighbour the guest keeps
        Assert.All(pages, pfn => Assert.True(_rig.IsResident(pfn)));

        Inflate(device, pages);

        Assert.All(pages, pfn => Assert.False(_rig.IsResident(pfn), $"page {pfn} is still resident"));
        Assert.True(_rig.IsResident(P + 3));
        Assert.All(pages, pfn => Assert.True(IsZero(pfn)));
        Assert.False(IsZero(P + 3));
        Assert.Equal(4, device.InflatedPages);
        Assert.Equal(4L * 4096, device.BytesReturnedToHost);
        Assert.Equal(0, device.InvalidPfns);
    }

    [Fact]
    public void Adjacent_frames_go_back_to_the_host_as_one_range_in_whatever_order_they_come()
    {
        using VirtioBalloonDevice device = Start();
        Inflate(device, P + 5, P + 3, P + 4, P + 20, P + 21, P + 4);

        Assert.Equal(2, device.DiscardCalls); // [P+3, P+5] and [P+20, P+21]; the repeated frame once
        Assert.Equal(5, device.InflatedPages);
        Assert.Equal(5L * 4096, device.BytesReturnedToHost);
    }

    [Fact]
    public void Frames_outside_guest_ram_are_counted_and_ignored()
    {
        using VirtioBalloonDevice device = Start();
        uint beyond = (uint)(BalloonTestRig.MemorySize / 4096);
        Inflate(device, beyond - 1, beyond, uint.MaxValue, 0x7FFF_FFFF);

        Assert.Equal(1, device.InflatedPages);
        Assert.Equal(3, device.InvalidPfns);
        Assert.Equal(1, device.DiscardCalls);
        Assert.Equal(0, _rig.Interrupt.NeedsResetSignals);
    }

    [Fact]
    public void Deflated_pages_are_counted_and_leave_memory_alone()
    {
        using VirtioBalloonDevice device = Start();
        Touch(P, 0x77);
        _rig.Submit(device, _rig.Deflate, VirtioBalloonDevice.DeflateQueue, ChainBuffer.In(BalloonTestRig.Pfns(P, P + 1, uint.MaxValue)));

        Assert.Equal(2, device.DeflatedPages);
        Assert.Equal(1, device.InvalidPfns);
        Assert.Equal(0, device.DiscardCalls);
        Assert.False(IsZero(P));
    }

    [Fact]
    public void A_buffer_with_a_partial_entry_is_counted_as_malformed_and_its_whole_entries_still_taken()
    {
        using VirtioBalloonDevice device = Start();
        byte[] buffer = [.. BalloonTestRig.Pfns(P, P + 1), 0xFF, 0xFF];
        _rig.Submit(device, _rig.Inflate, VirtioBalloonDevice.InflateQueue, ChainBuffer.In(buffer));

        Assert.Equal(1, device.MalformedRequests);
        Assert.Equal(2, device.InflatedPages);
    }

    [Fact]
    public void A_write_only_inflate_buffer_is_answered_and_counted_not_thrown()
    {
        using VirtioBalloonDevice device = Start();
        _rig.Submit(device, _rig.Inflate, VirtioBalloonDevice.InflateQueue, ChainBuffer.Out(64));

        Assert.Equal(1, device.MalformedRequests);
        Assert.Equal(0, device.InflatedPages);
        Assert.Equal(0u, _rig.Inflate.Used(0).Length);
        Assert.Null(device.Failure);
    }

    [Fact]
    public void A_huge_inflate_buffer_is_taken_up_to_the_limit_and_the_rest_ignored()
    {
        using VirtioBalloonDevice device = Start();
        var pfns = new uint[VirtioBalloonDevice.MaxPfnsPerRequest + 100];
        for (int i = 0; i < pfns.Length; i++)
        {
            pfns[i] = uint.MaxValue - (uint)i; // all outside RAM: only counted
        }

        _rig.Submit(device, _rig.Inflate, VirtioBalloonDevice.InflateQueue, ChainBuffer.In(BalloonTestRig.Pfns(pfns)));

        Assert.Equal(1, device.MalformedRequests);
        Assert.Equal(VirtioBalloonDevice.MaxPfnsPerRequest, device.InvalidPfns);
        Assert.Null(device.Failure);
    }

    [Fact]
    public void A_broken_inflate_ring_asks_for_a_reset_and_the_device_survives()
    {
        using VirtioBalloonDevice device = Start();
        _rig.Inflate.Publish(100);
        device.Notify(VirtioBalloonDevice.InflateQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rig.Interrupt.NeedsResetSignals == 1));
        Assert.Null(device.Failure);
        device.Reset();
        device.Activate(_rig.ActivationFor(device));
    }

    [Fact]
    public void Discard_refuses_ranges_outside_ram_or_not_page_aligned()
    {
        GuestMemory memory = _rig.Memory;
        Assert.False(memory.Discard(new GuestAddress(BalloonTestRig.MemorySize), 4096));
        Assert.False(memory.Discard(new GuestAddress(BalloonTestRig.MemorySize - 4096), 8192));
        Assert.False(memory.Discard(new GuestAddress(0x100800), 4096));
        Assert.False(memory.Discard(new GuestAddress(0x100000), 100));
        Assert.False(memory.Discard(new GuestAddress(0x100000), 0));
        Assert.True(memory.Discard(new GuestAddress(0x100000), 8192));
    }
}
