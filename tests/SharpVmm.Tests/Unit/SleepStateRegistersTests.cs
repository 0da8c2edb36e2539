using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Legacy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>The registers ACPI S3 is made of: PM1 control and events, and the RTC alarm that wakes the machine.</summary>
[Tier(TestTiers.Unit)]
public class SleepStateRegistersTests
{
    private const byte S3 = 1, S5 = 5;
    private const ulong RtcIndex = CmosRtc.IndexOffset, RtcData = CmosRtc.DataOffset;
    private const byte SecondsAlarm = 0x01, MinutesAlarm = 0x03, HoursAlarm = 0x05, B = 0x0B, C = 0x0C;
    private const byte AlarmInterruptEnable = 0x20, Binary = 0x04, TwentyFourHour = 0x02, AlarmFlag = 0x20, InterruptRequest = 0x80;

    // Half a second into 13:45:27 UTC.
    private static readonly DateTimeOffset Start = new(2024, 3, 9, 13, 45, 27, 500, TimeSpan.Zero);

    [Fact]
    public void Slp_en_with_the_s3_type_suspends_once_and_keeps_the_sleep_type()
    {
        int suspends = 0, powerOffs = 0;
        var control = new AcpiPm1ControlBlock(S5, () => powerOffs++, S3, () => suspends++);

        Write16(control, 0, (S3 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable);

        Assert.Equal(1, suspends);
        Assert.Equal(0, powerOffs);
        Assert.Equal(1, control.SuspendRequests);
        Assert.Equal(0, control.IgnoredSleepRequests);
        Assert.Equal((S3 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SciEnable, Read16(control, 0));
    }

    [Fact]
    public void Without_s3_the_s3_type_is_ignored_and_s5_still_powers_off()
    {
        int suspends = 0, powerOffs = 0;
        var withS3 = new AcpiPm1ControlBlock(S5, () => powerOffs++, S3, () => suspends++);
        var withoutS3 = new AcpiPm1ControlBlock(S5, () => powerOffs++);

        Write16(withoutS3, 0, (S3 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable);
        Write16(withS3, 0, (S5 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable);

        Assert.Equal(0, suspends);
        Assert.Equal(1, withoutS3.IgnoredSleepRequests);
        Assert.Equal(1, powerOffs);
    }

    [Fact]
    public void The_s3_type_must_differ_from_s5_and_come_with_a_suspend_callback()
    {
        Assert.Throws<ArgumentException>(() => new AcpiPm1ControlBlock(S5, () => { }, S5, () => { }));
        Assert.Throws<ArgumentException>(() => new AcpiPm1ControlBlock(S5, () => { }, S3, null));
        Assert.Throws<ArgumentException>(() => new AcpiPm1ControlBlock(S5, () => { }, 8, () => { }));
    }

    [Fact]
    public void A_wake_resets_pm1_control_to_its_power_on_value()
    {
        var control = new AcpiPm1ControlBlock(S5, () => { }, S3, () => { });
        Write16(control, 0, (S3 << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable | 0x2);

        control.ResetAfterWake();

        Assert.Equal(AcpiPm1ControlBlock.SciEnable, Read16(control, 0));
    }

    [Fact]
    public void Rtc_en_is_the_wake_enable_and_a_wake_reads_wak_sts_and_rtc_sts_with_pm1_enable_cleared()
    {
        var sci = new RecordingInterruptLine();
        var events = new AcpiPm1EventBlock(sci);
        Assert.False(events.RtcWakeEnabled);

        Write16(events, AcpiPm1EventBlock.EnableOffset, AcpiPm1EventBlock.RtcEnable | AcpiPm1EventBlock.PowerButtonEnable);
        Assert.True(events.RtcWakeEnabled);

        events.WakeFromSleep(AcpiPm1EventBlock.RtcStatus);

        Assert.Equal(0x8400, Read16(events, AcpiPm1EventBlock.StatusOffset));
        Assert.Equal(0, Read16(events, AcpiPm1EventBlock.EnableOffset));
        Assert.False(sci.IsHigh);

        Write16(events, AcpiPm1EventBlock.StatusOffset, 0x8400); // the woken OS clears them, write 1 to clear
        Assert.Equal(0, Read16(events, AcpiPm1EventBlock.StatusOffset));
    }

    [Fact]
    public void The_alarm_wakes_nothing_until_the_guest_sets_aie()
    {
        var clock = new FakeTimeProvider(Start);
        var rtc = new CmosRtc(clock);
        WriteReg(rtc, SecondsAlarm, 0x29); // BCD 29
        WriteReg(rtc, MinutesAlarm, 0xFF);
        WriteReg(rtc, HoursAlarm, 0xFF);

        Assert.Null(rtc.NextAlarmWake());

        WriteReg(rtc, B, AlarmInterruptEnable | TwentyFourHour);
        Assert.Equal(new DateTimeOffset(2024, 3, 9, 13, 45, 29, TimeSpan.Zero), rtc.NextAlarmWake());
    }

    [Theory]
    [InlineData(28, 0xFF, 0xFF, 13, 45, 28)] // a second ahead
    [InlineData(27, 0xFF, 0xFF, 13, 46, 27)] // this second has begun: the next minute's
    [InlineData(0xFF, 0xFF, 0xFF, 13, 45, 28)] // all don't-care: every update
    [InlineData(0, 0, 0xFF, 14, 0, 0)] // hh:00:00, next hour
    [InlineData(30, 15, 7, 7, 15, 30)] // tomorrow morning (the date follows)
    public void The_next_alarm_is_the_first_update_whose_fields_match(int second, int minute, int hour, int h, int m, int s)
    {
        var clock = new FakeTimeProvider(Start);
        var rtc = new CmosRtc(clock);
        WriteReg(rtc, B, AlarmInterruptEnable | Binary | TwentyFourHour);
        WriteReg(rtc, SecondsAlarm, (byte)second);
        WriteReg(rtc, MinutesAlarm, (byte)minute);
        WriteReg(rtc, HoursAlarm, (byte)hour);

        DateTimeOffset expected = new DateTimeOffset(2024, 3, 9, h, m, s, TimeSpan.Zero) is var today && today > Start ? today : today.AddDays(1);
        Assert.Equal(expected, rtc.NextAlarmWake());
    }

    [Fact]
    public void An_impossible_alarm_never_fires()
    {
        var rtc = new CmosRtc(new FakeTimeProvider(Start));
        WriteReg(rtc, B, AlarmInterruptEnable | Binary | TwentyFourHour);
        WriteReg(rtc, HoursAlarm, 24);

        Assert.Null(rtc.NextAlarmWake());
    }

    [Fact]
    public void Register_c_reports_the_alarm_once_after_its_time_passes()
    {
        var clock = new FakeTimeProvider(Start);
        var rtc = new CmosRtc(clock);
        WriteReg(rtc, B, AlarmInterruptEnable | Binary | TwentyFourHour);
        WriteReg(rtc, SecondsAlarm, 29);
        WriteReg(rtc, MinutesAlarm, 0xFF);
        WriteReg(rtc, HoursAlarm, 0xFF);
        _ = ReadReg(rtc, C);

        clock.Advance(TimeSpan.FromSeconds(1)); // 13:45:28.5
        Assert.Equal(0, ReadReg(rtc, C) & AlarmFlag);

        clock.Advance(TimeSpan.FromSeconds(1)); // 13:45:29.5
        Assert.Equal(AlarmFlag | InterruptRequest, ReadReg(rtc, C) & (AlarmFlag | InterruptRequest));
        Assert.Equal(0, ReadReg(rtc, C) & AlarmFlag);
    }

    private static ushort Read16(IBusDevice device, ulong offset)
    {
        Span<byte> data = stackalloc byte[2];
        device.Read(offset, data);
        return (ushort)(data[0] | (data[1] << 8));
    }

    private static void Write16(IBusDevice device, ulong offset, int value) => device.Write(offset, [(byte)value, (byte)(value >> 8)]);

    private static byte ReadReg(CmosRtc rtc, byte register)
    {
        rtc.Write(RtcIndex, [register]);
        Span<byte> b = [0];
        rtc.Read(RtcData, b);
        return b[0];
    }

    private static void WriteReg(CmosRtc rtc, byte register, byte value)
    {
        rtc.Write(RtcIndex, [register]);
        rtc.Write(RtcData, [value]);
    }
}
