using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public class VirtQueueTests
{
    private const ulong NoIndirect = VirtioFeatures.Version1 | VirtioFeatures.RingEventIndex;
    private const ulong NoEventIdx = VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDescriptors;

    private static void AssertBroken(VirtQueue queue, string reasonPart)
    {
        Assert.False(queue.TryPop(out _));
        Assert.True(queue.IsBroken);
        Assert.Contains(reasonPart, queue.BrokenReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_is_popped_read_written_and_returned_through_the_used_ring()
    {
        using var b = new VirtQueueBuilder();
        BuiltChain built = b.AddChain(ChainBuffer.In("hello "u8), ChainBuffer.In("world"u8), ChainBuffer.Out(4), ChainBuffer.Out(8));
        VirtQueue queue = b.CreateQueue();

        Assert.True(queue.TryPop(out DescriptorChain chain));
        Assert.Equal(built.Head, chain.HeadIndex);
        Assert.Equal(2, chain.Readable.Count);
        Assert.Equal(2, chain.Writable.Count);
        Assert.Equal(11u, chain.ReadableLength);
        Assert.Equal(12u, chain.WritableLength);

        DescriptorChainReader reader = chain.CreateReader();
        var text = new byte[20];
        Assert.Equal(11, reader.Read(text));
        Assert.Equal("hello world"u8.ToArray(), text[..11]);
        Assert.Equal(0, reader.Remaining);

        DescriptorChainWriter writer = chain.CreateWriter();
        Assert.Equal(6, writer.Write("abcdef"u8));
        Assert.Equal(6u, writer.BytesWritten);
        Assert.Equal(6, writer.Remaining);
        Assert.Equal("abcd"u8.ToArray(), b.ReadBuffer(built, 2));
        Assert.Equal("ef"u8.ToArray(), b.ReadBuffer(built, 3)[..2]);

        queue.AddUsed(chain, writer.BytesWritten);
        Assert.Equal(1, b.UsedIdx);
        Assert.Equal((built.Head, 6u), b.Used(0));
        Assert.False(queue.TryPop(out _));
        Assert.False(queue.IsBroken);
    }

    [Fact]
    public void Reader_skips_across_buffers_and_refuses_to_skip_past_the_end()
    {
        using var b = new VirtQueueBuilder();
        b.AddChain(ChainBuffer.In("abc"u8), ChainBuffer.In("defg"u8));
        VirtQueue queue = b.CreateQueue();
        Assert.True(queue.TryPop(out DescriptorChain chain));

        DescriptorChainReader reader = chain.CreateReader();
        Assert.True(reader.Skip(4));
        Assert.False(reader.Skip(4));
        var rest = new byte[8];
        Assert.Equal(3, reader.Read(rest));
        Assert.Equal("efg"u8.ToArray(), rest[..3]);
    }

    [Fact]
    public void Used_length_is_capped_at_the_writable_length()
    {
        using var b = new VirtQueueBuilder();
        b.AddChain(ChainBuffer.Out(4));
        VirtQueue queue = b.CreateQueue();
        Assert.True(queue.TryPop(out DescriptorChain chain));
        queue.AddUsed(chain, 1000);
        Assert.Equal(4u, b.Used(0).Length);
    }

    [Fact]
    public void An_indirect_chain_is_read_like_a_direct_one()
    {
        using var b = new VirtQueueBuilder();
        BuiltChain built = b.AddIndirectChain(ChainBuffer.In("xy"u8), ChainBuffer.In("z"u8), ChainBuffer.Out(3));
        VirtQueue queue = b.CreateQueue();

        Assert.True(queue.TryPop(out DescriptorChain chain));
        Assert.Equal(built.Head, chain.HeadIndex);
        Assert.Equal(3u, chain.ReadableLength);
        Assert.Equal(3u, chain.WritableLength);
        var data = new byte[3];
        chain.CreateReader().Read(data);
        Assert.Equal("xyz"u8.ToArray(), data);
    }

    [Fact]
    public void Zero_length_descriptors_are_accepted_and_carry_nothing()
    {
        using var b = new VirtQueueBuilder();
        b.WriteDescriptor(0, 0xFFFF_FFFF_0000, 0, VirtQueue.DescFlagNext, 1); // address outside memory, but no bytes
        b.WriteDescriptor(1, 0x30000, 0, VirtQueue.DescFlagWrite);
        b.Publish(0);
        VirtQueue queue = b.CreateQueue();

        Assert.True(queue.TryPop(out DescriptorChain chain));
        Assert.Empty(chain.Readable);
        Assert.Empty(chain.Writable);
        Assert.Equal(0, chain.CreateWriter().Write("x"u8));
    }

    [Fact]
    public void The_ring_description_shows_buffers_the_device_has_not_taken_and_the_event_indices()
    {
        using var b = new VirtQueueBuilder();
        b.AddChain(ChainBuffer.Out(4));
        b.AddChain(ChainBuffer.Out(4));
        b.UsedEvent = 7;
        VirtQueue queue = b.CreateQueue(NoIndirect);
        Assert.True(queue.TryPop(out DescriptorChain chain));
        queue.AddUsed(chain, 4);
        queue.EnableNotifications();

        Assert.Equal("avail.idx 2, device at 1, used.idx 1, avail.flags 0, used_event 7, avail_event 1", queue.DescribeRing());
    }

    [Fact]
    public void A_queue_whose_rings_lie_outside_guest_memory_describes_itself_without_reading_them()
    {
        // Found by fuzzing (fuzz/regressions/virtqueue): DescribeRing read avail.idx through a used ring past the end of
        // guest memory and threw, in the report meant to explain a stuck guest.
        using var b = new VirtQueueBuilder();
        b.Config.DeviceArea = new GuestAddress(VirtQueueBuilder.MemorySize + 0x1000);
        VirtQueue queue = b.CreateQueue();

        string description = queue.DescribeRing();

        Assert.True(queue.IsBroken);
        Assert.StartsWith("broken: ", description, StringComparison.Ordinal);
        Assert.False(queue.EnableNotifications());
        Assert.False(queue.NeedsNotification());
    }

    [Fact]
    public void An_empty_queue_pops_nothing()
    {
        using var b = new VirtQueueBuilder();
        VirtQueue queue = b.CreateQueue();
        Assert.False(queue.TryPop(out _));
        Assert.False(queue.IsBroken);
    }

    [Fact]
    public void A_head_index_outside_the_queue_breaks_it()
    {
        using var b = new VirtQueueBuilder(size: 8);
        b.Publish(8);
        AssertBroken(b.CreateQueue(), "descriptor index 8");
    }

    [Fact]
    public void A_next_index_outside_the_queue_breaks_it()
    {
        using var b = new VirtQueueBuilder(size: 8);
        b.WriteDescriptor(0, 0x30000, 4, VirtQueue.DescFlagNext, 200);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "descriptor index 200");
    }

    [Theory]
    [InlineData(VirtQueueBuilder.MemorySize - 2, 4u)] // runs past the end
    [InlineData(0x10_0000_0000UL, 4u)] // not backed at all
    [InlineData(ulong.MaxValue - 1, 16u)] // address + length overflows
    public void A_buffer_outside_guest_memory_breaks_the_queue(ulong address, uint length)
    {
        using var b = new VirtQueueBuilder();
        b.WriteDescriptor(0, address, length, VirtQueue.DescFlagWrite);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "not inside guest memory");
    }

    [Fact]
    public void A_descriptor_loop_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder(size: 4);
        b.WriteDescriptor(0, 0x30000, 4, VirtQueue.DescFlagNext, 1);
        b.WriteDescriptor(1, 0x30000, 4, VirtQueue.DescFlagNext, 0);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "longer than 4");
    }

    [Fact]
    public void A_readable_descriptor_after_a_writable_one_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder();
        b.AddChain(ChainBuffer.Out(4), ChainBuffer.In("x"u8));
        AssertBroken(b.CreateQueue(), "follows a writable");
    }

    [Fact]
    public void Indirect_descriptors_need_the_feature()
    {
        using var b = new VirtQueueBuilder();
        b.AddIndirectChain(ChainBuffer.In("x"u8));
        AssertBroken(b.CreateQueue(NoIndirect), "VIRTIO_F_INDIRECT_DESC");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(24u)]
    public void An_indirect_table_length_must_be_a_nonzero_multiple_of_16(uint length)
    {
        using var b = new VirtQueueBuilder();
        b.WriteDescriptor(0, 0x30000, length, VirtQueue.DescFlagIndirect);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "multiple of 16");
    }

    [Fact]
    public void An_indirect_table_outside_guest_memory_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder();
        b.WriteDescriptor(0, VirtQueueBuilder.MemorySize - 16, 32, VirtQueue.DescFlagIndirect);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "indirect table");
    }

    [Fact]
    public void An_indirect_descriptor_inside_an_indirect_table_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder();
        var table = new GuestAddress(0x30000);
        b.WriteDescriptor(table, 0, 0x31000, 16, VirtQueue.DescFlagIndirect);
        b.WriteDescriptor(0, table.Value, 16, VirtQueue.DescFlagIndirect);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "inside an indirect table");
    }

    [Fact]
    public void Indirect_together_with_next_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder();
        var table = new GuestAddress(0x30000);
        b.WriteDescriptor(table, 0, 0x31000, 16, 0);
        b.WriteDescriptor(0, table.Value, 16, (ushort)(VirtQueue.DescFlagIndirect | VirtQueue.DescFlagNext), 1);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "VIRTQ_DESC_F_NEXT");
    }

    [Fact]
    public void An_indirect_chain_longer_than_its_table_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder();
        var table = new GuestAddress(0x30000);
        b.WriteDescriptor(table, 0, 0x31000, 4, VirtQueue.DescFlagNext, 1);
        b.WriteDescriptor(table, 1, 0x31000, 4, VirtQueue.DescFlagNext, 0); // loops inside the table
        b.WriteDescriptor(0, table.Value, 32, VirtQueue.DescFlagIndirect);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "longer than 2");
    }

    [Fact]
    public void An_indirect_next_index_outside_its_table_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder();
        var table = new GuestAddress(0x30000);
        b.WriteDescriptor(table, 0, 0x31000, 4, VirtQueue.DescFlagNext, 2);
        b.WriteDescriptor(0, table.Value, 32, VirtQueue.DescFlagIndirect);
        b.Publish(0);
        AssertBroken(b.CreateQueue(), "outside the indirect table");
    }

    [Fact]
    public void An_avail_index_more_than_the_queue_size_ahead_breaks_the_queue()
    {
        using var b = new VirtQueueBuilder(size: 8);
        b.AvailIdx = 9;
        AssertBroken(b.CreateQueue(), "ahead");
    }

    [Fact]
    public void A_broken_queue_stays_broken_and_ignores_later_chains()
    {
        using var b = new VirtQueueBuilder(size: 8);
        b.Publish(9);
        VirtQueue queue = b.CreateQueue();
        Assert.False(queue.TryPop(out _));
        b.AddChain(ChainBuffer.Out(4));
        Assert.False(queue.TryPop(out _));
        Assert.True(queue.IsBroken);
        Assert.False(queue.EnableNotifications());
    }

    [Theory]
    [InlineData(0x1008, 0x1100, 0x1200)] // descriptor table not 16-aligned
    [InlineData(0x1000, 0x1101, 0x1200)] // avail ring not 2-aligned
    [InlineData(0x1000, 0x1100, 0x1202)] // used ring not 4-aligned
    public void Misaligned_rings_break_the_queue(ulong desc, ulong avail, ulong used)
    {
        using var memory = GuestMemory.CreateFlat(0x10000);
        var config = new VirtQueueConfig(16) { DescriptorTable = new(desc), DriverArea = new(avail), DeviceArea = new(used) };
        var queue = new VirtQueue(memory, config, VirtioFeatures.Common);
        Assert.True(queue.IsBroken);
        Assert.Contains("misaligned", queue.BrokenReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xFF80, 0x1100, 0x1200, "descriptor table")]
    [InlineData(0x1000, 0xFFF0, 0x1200, "available ring")]
    [InlineData(0x1000, 0x1100, 0xFFC0, "used ring")]
    public void Rings_outside_guest_memory_break_the_queue(ulong desc, ulong avail, ulong used, string what)
    {
        using var memory = GuestMemory.CreateFlat(0x10000);
        var config = new VirtQueueConfig(16) { DescriptorTable = new(desc), DriverArea = new(avail), DeviceArea = new(used) };
        var queue = new VirtQueue(memory, config, VirtioFeatures.Common);
        Assert.True(queue.IsBroken);
        Assert.Contains(what, queue.BrokenReason, StringComparison.Ordinal);
        Assert.False(queue.TryPop(out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(32)]
    public void A_size_that_is_zero_not_a_power_of_two_or_above_the_maximum_breaks_the_queue(ushort size)
    {
        using var b = new VirtQueueBuilder(size: 16);
        b.Config.Size = size;
        Assert.True(b.CreateQueue().IsBroken);
    }

    [Fact]
    public void The_16_bit_indices_wrap_around()
    {
        using var b = new VirtQueueBuilder(size: 4);
        VirtQueue queue = b.CreateQueue();
        for (int i = 0; i < 70_000; i++)
        {
            BuiltChain built = b.AddChain(ChainBuffer.Out(4));
            Assert.True(queue.TryPop(out DescriptorChain chain), $"pop {i}");
            Assert.Equal(built.Head, chain.HeadIndex);
            queue.AddUsed(chain, (uint)(i % 5));
            Assert.Equal((ushort)(i + 1), b.UsedIdx);
            Assert.Equal(((uint)built.Head, (uint)Math.Min(i % 5, 4)), b.Used(i));
        }

        Assert.False(queue.IsBroken);
        Assert.Equal(70_000, queue.ChainsPopped);
    }

    [Fact]
    public void Without_event_idx_the_no_interrupt_flag_suppresses_notifications()
    {
        using var b = new VirtQueueBuilder();
        VirtQueue queue = b.CreateQueue(NoEventIdx);
        Assert.False(queue.NeedsNotification()); // nothing used yet

        b.AddChain(ChainBuffer.Out(1));
        b.AddChain(ChainBuffer.Out(1));
        Assert.True(queue.TryPop(out DescriptorChain first));
        queue.AddUsed(first, 0);
        Assert.True(queue.NeedsNotification());
        Assert.False(queue.NeedsNotification()); // nothing new since

        b.AvailFlags = VirtQueue.AvailFlagNoInterrupt;
        Assert.True(queue.TryPop(out DescriptorChain second));
        queue.AddUsed(second, 0);
        Assert.False(queue.NeedsNotification());
    }

    [Fact]
    public void With_event_idx_a_notification_is_sent_only_when_used_event_is_crossed()
    {
        using var b = new VirtQueueBuilder();
        VirtQueue queue = b.CreateQueue();
        b.AvailFlags = VirtQueue.AvailFlagNoInterrupt; // ignored with EVENT_IDX
        b.UsedEvent = 2; // notify when used.idx goes past 2, i.e. when element 2 is used

        for (int i = 0; i < 4; i++)
        {
            b.AddChain(ChainBuffer.Out(1));
        }

        var decisions = new List<bool>();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryPop(out DescriptorChain chain));
            queue.AddUsed(chain, 0);
            decisions.Add(queue.NeedsNotification());
        }

        Assert.Equal([false, false, true, false], decisions);
    }

    [Fact]
    public void With_event_idx_a_batch_that_spans_used_event_notifies_once()
    {
        using var b = new VirtQueueBuilder();
        VirtQueue queue = b.CreateQueue();
        b.UsedEvent = 1;
        for (int i = 0; i < 3; i++)
        {
            b.AddChain(ChainBuffer.Out(1));
            Assert.True(queue.TryPop(out DescriptorChain chain));
            queue.AddUsed(chain, 0);
        }

        Assert.True(queue.NeedsNotification());
        Assert.False(queue.NeedsNotification());
    }

    [Theory]
    [InlineData(0xFFFE, 0x0001, 0xFFFD, true)] // used_event just before the wrap, batch crosses it
    [InlineData(0x0000, 0x0001, 0xFFFF, true)]
    [InlineData(0x0001, 0x0001, 0xFFFF, false)] // event == new: not crossed yet
    [InlineData(0xFFF0, 0x0002, 0xFFFE, false)] // event long behind the batch
    public void Need_event_handles_wrapping(ushort eventIdx, ushort newIdx, ushort oldIdx, bool expected) =>
        Assert.Equal(expected, VirtQueue.NeedEvent(eventIdx, newIdx, oldIdx));

    [Fact]
    public void Enable_notifications_publishes_avail_event_and_reports_buffers_that_arrived_meanwhile()
    {
        using var b = new VirtQueueBuilder();
        VirtQueue queue = b.CreateQueue();
        b.AddChain(ChainBuffer.Out(1));
        Assert.True(queue.TryPop(out _));
        Assert.False(queue.EnableNotifications());
        Assert.Equal(1, b.AvailEvent);

        b.AddChain(ChainBuffer.Out(1));
        Assert.True(queue.EnableNotifications());
    }

    [Fact]
    public void Without_event_idx_notifications_are_toggled_with_the_used_flag()
    {
        using var b = new VirtQueueBuilder();
        VirtQueue queue = b.CreateQueue(NoEventIdx);
        queue.DisableNotifications();
        Assert.Equal(VirtQueue.UsedFlagNoNotify, b.UsedFlags);
        Assert.False(queue.EnableNotifications());
        Assert.Equal(0, b.UsedFlags);
        b.AddChain(ChainBuffer.Out(1));
        Assert.True(queue.EnableNotifications());
    }
}
