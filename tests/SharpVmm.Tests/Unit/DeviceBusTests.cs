using SharpVmm.Devices.Bus;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class DeviceBusTests
{
    [Fact]
    public void Read_and_write_reach_the_device_with_an_offset_from_its_base()
    {
        var bus = new IoBus();
        var device = new RecordingDevice((offset, _) => 0xA0 + offset);
        bus.Register(0x3F8, 8, device);

        Span<byte> one = stackalloc byte[1];
        Assert.True(bus.Read(0x3FD, one));
        Assert.True(bus.Write(0x3F8, [0x41]));

        Assert.Equal(0xA5, one[0]);
        Assert.Collection(device.Accesses,
            a => Assert.Equal((5UL, false), (a.Offset, a.IsWrite)),
            a => Assert.Equal((0UL, true, (byte)0x41), (a.Offset, a.IsWrite, a.Data[0])));
    }

    [Fact]
    public void Unclaimed_reads_float_to_all_ones_and_are_counted()
    {
        var bus = new IoBus();
        bus.Register(0x60, 1, new RecordingDevice());
        Span<byte> data = [0, 0, 0, 0];

        Assert.False(bus.Read(0x61, data));

        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], data.ToArray());
        Assert.Equal(1, bus.UnclaimedReads);
    }

    [Fact]
    public void Unclaimed_writes_are_counted_and_reported_once_per_address()
    {
        var bus = new IoBus();
        var reported = new List<(ulong, bool)>();
        bus.FirstUnclaimedAccess = (address, write) => reported.Add((address, write));

        bus.Write(0x80, [1]);
        bus.Write(0x80, [2]);
        bus.Write(0x81, [3]);

        Assert.Equal(3, bus.UnclaimedWrites);
        Assert.Equal([(0x80UL, true), (0x81UL, true)], reported);
        Assert.Equal(2, bus.UnclaimedByAddress[0x80]);
    }

    [Theory]
    [InlineData(0x3F8, 8)]  // identical
    [InlineData(0x3F0, 9)]  // overlaps the first port
    [InlineData(0x3FF, 1)]  // overlaps the last port
    [InlineData(0x3F0, 32)] // covers the whole range
    [InlineData(0x3FA, 1)]  // inside
    public void Overlapping_registrations_are_rejected(ulong baseAddress, ulong length)
    {
        var bus = new IoBus();
        bus.Register(0x3F8, 8, new RecordingDevice());

        var ex = Assert.Throws<BusConflictException>(() => bus.Register(baseAddress, length, new RecordingDevice()));
        Assert.Contains("overlaps", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adjacent_registrations_are_allowed_and_found_by_binary_search()
    {
        var bus = new MmioBus();
        var devices = Enumerable.Range(0, 50).Select(_ => new RecordingDevice()).ToArray();
        // Register out of order to exercise the sorted table.
        foreach (int i in Enumerable.Range(0, 50).Reverse())
        {
            bus.Register(0xD000_0000UL + (ulong)(i * 0x1000), 0x1000, devices[i]);
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.Same(devices[i], bus.Find(0xD000_0000UL + (ulong)(i * 0x1000) + 0xFFF)!.Device);
        }

        Assert.Null(bus.Find(0xCFFF_FFFF));
        Assert.Null(bus.Find(0xD003_2000));
    }

    [Fact]
    public void Zero_length_and_out_of_range_registrations_are_rejected()
    {
        var bus = new IoBus();

        Assert.Throws<BusConflictException>(() => bus.Register(0x100, 0, new RecordingDevice()));
        Assert.Throws<BusConflictException>(() => bus.Register(0xFFFF, 2, new RecordingDevice()));
        Assert.Throws<BusConflictException>(() => bus.Register(0x10000, 1, new RecordingDevice()));
        var mmio = new MmioBus();
        Assert.Throws<BusConflictException>(() => mmio.Register(ulong.MaxValue, 2, new RecordingDevice()));
        mmio.Register(ulong.MaxValue, 1, new RecordingDevice());
    }

    [Fact]
    public void A_one_byte_read_of_a_published_register_is_answered_without_calling_the_device_until_it_is_withdrawn()
    {
        var bus = new IoBus();
        var device = new PublishingDevice();
        bus.Register(0x3F8, 8, device);
        Span<byte> one = stackalloc byte[1];
        Span<byte> two = stackalloc byte[2];

        device.Status.Publish(0x60);
        Assert.True(bus.Read(0x3FD, one));
        Assert.Equal(0x60, one[0]);
        Assert.True(bus.Read(0x3FD, two)); // wider than the register: the device answers
        Assert.Equal(1, device.Reads);

        device.Status.Withdraw();
        Assert.True(bus.Read(0x3FD, one));
        Assert.Equal(0xD5, one[0]);
        Assert.Equal(2, device.Reads);

        device.Status.Publish(0x61);
        Assert.True(bus.Unregister(0x3F8));
        Assert.False(bus.Read(0x3FD, one)); // gone with its device
        Assert.Equal(0xFF, one[0]);
    }

    [Fact]
    public void A_write_that_puts_back_a_published_registers_own_value_is_dropped_where_rewrites_change_nothing()
    {
        var bus = new IoBus();
        var device = new PublishingDevice();
        bus.Register(0x3F8, 8, device);
        device.Control.Publish(0x05);
        device.Status.Publish(0x60);

        Assert.True(bus.Write(0x3F9, [0x05])); // IER's own value: dropped
        Assert.True(bus.Write(0x3F9, [0x07])); // a change reaches the device
        Assert.True(bus.Write(0x3F9, [0x05, 0x00])); // wider than the register
        Assert.True(bus.Write(0x3FD, [0x60])); // the status register's rewrites are not declared harmless
        device.Control.Withdraw();
        Assert.True(bus.Write(0x3F9, [0x05])); // nothing published to compare with

        Assert.Equal([(1UL, (byte)0x07), (1UL, (byte)0x05), (5UL, (byte)0x60), (1UL, (byte)0x05)], device.Writes);
        Assert.True(device.Control.RewritesChangeNothing);
        Assert.False(device.Status.RewritesChangeNothing);
        Assert.False(device.Status.IsRewrite(0x60));
    }

    [Fact]
    public void A_run_of_writes_reaches_a_device_that_takes_runs_in_one_call_and_any_other_device_write_by_write()
    {
        var bus = new IoBus();
        var runs = new PublishingDevice();
        var plain = new RecordingDevice();
        bus.Register(0x3F8, 8, runs);
        bus.Register(0x80, 4, plain);

        Assert.True(bus.WriteRepeated(0x3F8, 1, "abc"u8));
        Assert.True(bus.WriteRepeated(0x82, 2, [1, 2, 3, 4]));
        Assert.False(bus.WriteRepeated(0x90, 1, [5, 6]));

        Assert.Equal([(0UL, 1, "abc")], runs.Runs);
        Assert.Empty(runs.Writes); // the run came whole
        Assert.Equal([(2UL, 0x0201UL), (2UL, 0x0403UL)], plain.Writes.Select(w => (w.Offset, w.Value)));
        Assert.Equal(2, bus.UnclaimedWrites);
        Assert.Throws<ArgumentException>(() => bus.WriteRepeated(0x82, 2, [1, 2, 3]));
    }
}
