using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Acpi;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class AcpiDevicesTests
{
    private const byte S5 = 5;

    private static uint Read32(AcpiPmTimer timer)
    {
        Span<byte> b = stackalloc byte[4];
        timer.Read(0, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static ushort Read16(Devices.Bus.IBusDevice device, ulong offset)
    {
        Span<byte> b = stackalloc byte[2];
        device.Read(offset, b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    private static void Write16(Devices.Bus.IBusDevice device, ulong offset, int value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value);
        device.Write(offset, b);
    }

    [Fact]
    public void Pm_timer_counts_at_3_579545_mhz_with_the_clock()
    {
        var clock = new FakeTimeProvider();
        var timer = new AcpiPmTimer(clock);

        Assert.Equal(0u, Read32(timer));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3_579_545u, Read32(timer));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(3_583_124u, Read32(timer)); // 1.001 s * 3579545 Hz, truncated
    }

    [Fact]
    public void Pm_timer_wraps_at_2_to_the_24_and_its_top_byte_reads_zero()
    {
        var clock = new FakeTimeProvider();
        var timer = new AcpiPmTimer(clock);

        clock.Advance(TimeSpan.FromSeconds(5)); // 17,897,725 counts
        Assert.Equal(17_897_725u - (1u << 24), Read32(timer));

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0u, Read32(timer) >> 24);
        Assert.Equal(timer.Value, Read32(timer));
    }

    [Fact]
    public void Pm_timer_publishes_its_counter_with_the_host_clock_and_not_with_a_test_clock()
    {
        var timer = new AcpiPmTimer(TimeProvider.System);

        Assert.Null(new AcpiPmTimer(new FakeTimeProvider()).PublishedCounter);
        Devices.Bus.PublishedCounter counter = Assert.IsType<Devices.Bus.PublishedCounter>(timer.PublishedCounter);
        Assert.Equal((0UL, AcpiPmTimer.Frequency, AcpiPmTimer.CounterMask), (counter.Offset, counter.Rate, counter.Mask));
        long before = System.Diagnostics.Stopwatch.GetTimestamp();
        uint read = Read32(timer);
        long after = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.InRange(read, counter.CountAt(before), counter.CountAt(after)); // the count a run loop would answer
    }

    [Fact]
    public void A_published_counter_counts_from_its_start_at_its_rate_through_its_mask()
    {
        var counter = new Devices.Bus.PublishedCounter(0, AcpiPmTimer.Frequency, AcpiPmTimer.CounterMask) { Start = 5_000_000_000 };

        Assert.Equal(0u, counter.CountAt(4_000_000_000)); // before the start
        Assert.Equal(3_579_545u, counter.CountAt(6_000_000_000));
        Assert.Equal(17_897_725u - (1u << 24), counter.CountAt(10_000_000_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Devices.Bus.PublishedCounter(0, 2_000_000_000, 0xFF));
        Assert.Equal(5_000_000_000, System.Runtime.InteropServices.Marshal.ReadInt64(counter.Address));
        Assert.Equal(AcpiPmTimer.Frequency, System.Runtime.InteropServices.Marshal.ReadInt64(counter.Address, 8));
        Assert.Equal((long)AcpiPmTimer.CounterMask, System.Runtime.InteropServices.Marshal.ReadInt64(counter.Address, 16));
    }

    [Fact]
    public void Pm_timer_answers_narrow_reads_and_ignores_writes()
    {
        var clock = new FakeTimeProvider();
        var timer = new AcpiPmTimer(clock);
        clock.Advance(TimeSpan.FromSeconds(1)); // 0x369E99

        timer.Write(0, [0, 0, 0, 0]);
        Span<byte> b = stackalloc byte[1];
        timer.Read(2, b);
        Assert.Equal(0x36, b[0]);
        Assert.Equal(0x9E99, Read16(timer, 0));
    }

    [Fact]
    public void Writing_slp_en_with_the_s5_type_powers_off_once_per_write()
    {
        int powerOffs = 0;
        var control = new AcpiPm1ControlBlock(S5, () => powerOffs++);

        Write16(control, 0, S5 << AcpiPm1ControlBlock.SleepTypeShift); // type first, as ACPICA does
        Assert.Equal(0, powerOffs);
        Write16(control, 0, (S5 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable | 1);

        Assert.Equal(1, powerOffs);
        Assert.Equal(0, control.IgnoredSleepRequests);
    }

    [Fact]
    public void A_byte_write_of_the_high_half_reaches_slp_en()
    {
        int powerOffs = 0;
        var control = new AcpiPm1ControlBlock(S5, () => powerOffs++);

        control.Write(1, [(byte)(((S5 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable) >> 8)]);

        Assert.Equal(1, powerOffs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Other_sleep_types_do_not_power_off(int sleepType)
    {
        int powerOffs = 0;
        var control = new AcpiPm1ControlBlock(S5, () => powerOffs++);

        Write16(control, 0, (sleepType << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable);

        Assert.Equal(0, powerOffs);
        Assert.Equal(1, control.IgnoredSleepRequests);
    }

    [Fact]
    public void Sci_en_always_reads_1_and_slp_en_reads_0()
    {
        var control = new AcpiPm1ControlBlock(S5, () => { });
        Assert.Equal(AcpiPm1ControlBlock.SciEnable, Read16(control, 0));

        Write16(control, 0, (3 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable);

        Assert.Equal((3 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SciEnable, Read16(control, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcpiPm1ControlBlock(8, () => { }));
    }

    [Fact]
    public void Pm1_status_bits_are_write_1_to_clear()
    {
        var events = new AcpiPm1EventBlock(new RecordingInterruptLine());
        events.PressPowerButton();
        Assert.Equal(AcpiPm1EventBlock.PowerButtonStatus, Read16(events, AcpiPm1EventBlock.StatusOffset));

        Write16(events, AcpiPm1EventBlock.StatusOffset, 0); // writing 0 leaves it
        Assert.Equal(AcpiPm1EventBlock.PowerButtonStatus, events.Status);
        Write16(events, AcpiPm1EventBlock.StatusOffset, 0xFFFF & ~AcpiPm1EventBlock.PowerButtonStatus); // other bits leave it
        Assert.Equal(AcpiPm1EventBlock.PowerButtonStatus, events.Status);
        Write16(events, AcpiPm1EventBlock.StatusOffset, AcpiPm1EventBlock.PowerButtonStatus);
        Assert.Equal(0, events.Status);
    }

    [Fact]
    public void Pm1_enable_is_read_write_and_a_power_button_press_raises_the_sci_only_when_enabled()
    {
        var sci = new RecordingInterruptLine();
        var events = new AcpiPm1EventBlock(sci);

        events.PressPowerButton();
        Assert.False(sci.IsHigh);

        Write16(events, AcpiPm1EventBlock.EnableOffset, AcpiPm1EventBlock.PowerButtonEnable);
        Assert.Equal(AcpiPm1EventBlock.PowerButtonEnable, Read16(events, AcpiPm1EventBlock.EnableOffset));
        Assert.True(sci.IsHigh); // pending status, now enabled

        Write16(events, AcpiPm1EventBlock.StatusOffset, AcpiPm1EventBlock.PowerButtonStatus);
        Assert.False(sci.IsHigh);
        Assert.Equal([true, false], sci.Levels);

        Span<byte> all = stackalloc byte[4];
        events.PressPowerButton();
        events.Read(0, all);
        Assert.Equal([0x00, 0x01, 0x00, 0x01], all.ToArray());
        Assert.True(sci.IsHigh);
    }

    [Fact]
    public void Reset_register_resets_only_for_the_reset_value()
    {
        int resets = 0;
        var reset = new AcpiResetRegister(0x06, () => resets++);

        reset.Write(0, [0x04]);
        reset.Write(0, [0x00]);
        Assert.Equal(0, resets);
        Assert.Equal(2, reset.IgnoredWrites);

        reset.Write(0, [0x06]);
        Assert.Equal(1, resets);

        Span<byte> b = stackalloc byte[1];
        reset.Read(0, b);
        Assert.Equal(0, b[0]);
    }
}
