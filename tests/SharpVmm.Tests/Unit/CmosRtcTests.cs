using SharpVmm.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Legacy;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class CmosRtcTests
{
    private const ulong Index = CmosRtc.IndexOffset, Data = CmosRtc.DataOffset;
    private const byte Sec = 0x00, Min = 0x02, Hour = 0x04, Dow = 0x06, Day = 0x07, Mon = 0x08, Year = 0x09;
    private const byte A = 0x0A, B = 0x0B, C = 0x0C, D = 0x0D, Century = 0x32;

    // A Saturday afternoon; half a second into the second so no update is in progress.
    private static readonly DateTimeOffset Start = new(2024, 3, 9, 13, 45, 27, 500, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);

    private static byte ReadReg(CmosRtc rtc, byte register)
    {
        rtc.Write(Index, [register]);
        Span<byte> b = [0];
        rtc.Read(Data, b);
        return b[0];
    }

    private static void WriteReg(CmosRtc rtc, byte register, byte value)
    {
        rtc.Write(Index, [register]);
        rtc.Write(Data, [value]);
    }

    [Fact]
    public void Time_registers_read_the_host_clock_in_bcd_24_hour_by_default()
    {
        var rtc = new CmosRtc(_clock);

        Assert.Equal(0x27, ReadReg(rtc, Sec));
        Assert.Equal(0x45, ReadReg(rtc, Min));
        Assert.Equal(0x13, ReadReg(rtc, Hour));
        Assert.Equal(0x07, ReadReg(rtc, Dow)); // Saturday; Sunday is 1
        Assert.Equal(0x09, ReadReg(rtc, Day));
        Assert.Equal(0x03, ReadReg(rtc, Mon));
        Assert.Equal(0x24, ReadReg(rtc, Year));
        Assert.Equal(0x20, ReadReg(rtc, Century));
    }

    [Fact]
    public void Status_registers_have_their_power_on_values()
    {
        var rtc = new CmosRtc(_clock);

        Assert.Equal(0x26, ReadReg(rtc, A));
        Assert.Equal(0x02, ReadReg(rtc, B));
        Assert.Equal(0x80, ReadReg(rtc, D));
    }

    [Fact]
    public void Binary_mode_reports_plain_numbers()
    {
        var rtc = new CmosRtc(_clock);
        WriteReg(rtc, B, 0x06);

        Assert.Equal(27, ReadReg(rtc, Sec));
        Assert.Equal(13, ReadReg(rtc, Hour));
        Assert.Equal(24, ReadReg(rtc, Year));
        Assert.Equal(20, ReadReg(rtc, Century));
    }

    [Theory]
    [InlineData(0, 0x12)]
    [InlineData(1, 0x01)]
    [InlineData(12, 0x92)]
    [InlineData(13, 0x81)]
    [InlineData(23, 0x91)]
    public void Twelve_hour_mode_sets_bit_7_for_pm(int hour, byte expected)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 1, 1, hour, 0, 0, 500, TimeSpan.Zero));
        var rtc = new CmosRtc(clock);
        WriteReg(rtc, B, 0x00);

        Assert.Equal(expected, ReadReg(rtc, Hour));
    }

    [Fact]
    public void Clock_follows_the_time_provider()
    {
        var rtc = new CmosRtc(_clock);

        _clock.Advance(TimeSpan.FromMinutes(20));

        Assert.Equal(0x14, ReadReg(rtc, Hour));
        Assert.Equal(0x05, ReadReg(rtc, Min));
    }

    [Fact]
    public void Update_in_progress_is_reported_only_just_before_a_second_ends()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var rtc = new CmosRtc(clock);

        Assert.Equal(0, ReadReg(rtc, A) & 0x80);
        clock.Advance(TimeSpan.FromMicroseconds(1_000_000 - 2300));
        Assert.Equal(0, ReadReg(rtc, A) & 0x80);
        clock.Advance(TimeSpan.FromMicroseconds(100));
        Assert.Equal(0x80, ReadReg(rtc, A) & 0x80);
        clock.Advance(TimeSpan.FromMicroseconds(2200));
        Assert.Equal(0, ReadReg(rtc, A) & 0x80);
    }

    [Fact]
    public void Setting_the_clock_under_set_holds_it_and_resumes_from_the_new_time()
    {
        var rtc = new CmosRtc(_clock);

        // What Linux's mc146818_set_time does: SET, write the fields, clear SET.
        WriteReg(rtc, B, 0x82);
        WriteReg(rtc, Sec, 0x00);
        WriteReg(rtc, Min, 0x30);
        WriteReg(rtc, Hour, 0x08);
        WriteReg(rtc, Day, 0x29);
        WriteReg(rtc, Mon, 0x02); // Feb 29 2024 would do too; 2028 is written next
        WriteReg(rtc, Year, 0x28);
        _clock.Advance(TimeSpan.FromSeconds(5)); // held: no updates while SET
        Assert.Equal(0x00, ReadReg(rtc, Sec));
        Assert.Equal(0, ReadReg(rtc, A) & 0x80);
        WriteReg(rtc, B, 0x02);

        Assert.Equal(new DateTimeOffset(2028, 2, 29, 8, 30, 0, TimeSpan.Zero), rtc.GuestTime);
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0x01, ReadReg(rtc, Sec));
        Assert.Equal(0x31, ReadReg(rtc, Min));
        Assert.Equal(0x28, ReadReg(rtc, Year));
        Assert.Equal(0, rtc.InvalidTimeWrites);
    }

    [Fact]
    public void Writing_a_running_clock_field_moves_the_clock_by_an_offset()
    {
        var rtc = new CmosRtc(_clock);

        WriteReg(rtc, Year, 0x30);

        Assert.Equal(Start.AddYears(6), rtc.GuestTime);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0x28, ReadReg(rtc, Sec));
        Assert.Equal(0x30, ReadReg(rtc, Year));
    }

    [Fact]
    public void Binary_writes_are_decoded_as_binary()
    {
        var rtc = new CmosRtc(_clock);
        WriteReg(rtc, B, 0x06);

        WriteReg(rtc, Min, 59);

        Assert.Equal(59, ReadReg(rtc, Min));
    }

    [Fact]
    public void Twelve_hour_writes_are_decoded()
    {
        var rtc = new CmosRtc(_clock);
        WriteReg(rtc, B, 0x00);

        WriteReg(rtc, Hour, 0x92); // 12 PM

        Assert.Equal(12, rtc.GuestTime.Hour);
    }

    [Theory]
    [InlineData(Sec, 0x60)]
    [InlineData(Mon, 0x13)]
    [InlineData(Hour, 0x2A)]
    [InlineData(Day, 0x00)]
    public void Impossible_values_are_ignored_and_counted(byte register, byte value)
    {
        var rtc = new CmosRtc(_clock);

        WriteReg(rtc, register, value);

        Assert.Equal(Start, rtc.GuestTime);
        Assert.Equal(1, rtc.InvalidTimeWrites);
    }

    [Fact]
    public void An_impossible_date_under_set_keeps_the_old_time()
    {
        var rtc = new CmosRtc(_clock);

        WriteReg(rtc, B, 0x82);
        WriteReg(rtc, Day, 0x31);
        WriteReg(rtc, Mon, 0x04);
        WriteReg(rtc, B, 0x02);

        Assert.Equal(Start, rtc.GuestTime);
        Assert.Equal(1, rtc.InvalidTimeWrites);
    }

    [Fact]
    public void Register_c_reports_update_ended_and_is_cleared_by_reading()
    {
        var rtc = new CmosRtc(_clock);
        WriteReg(rtc, A, 0x20); // no periodic rate
        ReadReg(rtc, C);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0x10, ReadReg(rtc, C));
        Assert.Equal(0x00, ReadReg(rtc, C));
    }

    [Fact]
    public void Register_c_sets_irqf_only_for_enabled_flags()
    {
        var rtc = new CmosRtc(_clock);
        WriteReg(rtc, A, 0x20);
        WriteReg(rtc, B, 0x12); // UIE
        ReadReg(rtc, C);

        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0x90, ReadReg(rtc, C));
    }

    [Fact]
    public void Register_c_reports_the_periodic_flag_at_the_selected_rate()
    {
        var rtc = new CmosRtc(_clock);
        ReadReg(rtc, C);

        _clock.Advance(TimeSpan.FromMilliseconds(0.5));
        Assert.Equal(0, ReadReg(rtc, C) & 0x40);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0x40, ReadReg(rtc, C) & 0x40);
    }

    [Fact]
    public void Read_only_and_uip_bits_ignore_writes()
    {
        var rtc = new CmosRtc(_clock);

        WriteReg(rtc, D, 0x00);
        WriteReg(rtc, A, 0xA6);

        Assert.Equal(0x80, ReadReg(rtc, D));
        Assert.Equal(0x26, ReadReg(rtc, A));
    }

    [Fact]
    public void Index_port_selects_with_bits_0_to_6_and_bit_7_disables_nmi()
    {
        var rtc = new CmosRtc(_clock);

        rtc.Write(Index, [0x80 | 0x40]);
        rtc.Write(Data, [0x5A]);
        Assert.True(rtc.NmiDisabled);

        Assert.Equal(0x5A, ReadReg(rtc, 0x40));
        Assert.False(rtc.NmiDisabled);
    }

    [Fact]
    public void Index_port_reads_float_and_wide_reads_zero_the_upper_bytes()
    {
        var rtc = new CmosRtc(_clock);
        Span<byte> index = [0];
        Span<byte> wide = [0xEE, 0xEE];

        rtc.Read(Index, index);
        rtc.Write(Index, [D]);
        rtc.Read(Data, wide);

        Assert.Equal(0xFF, index[0]);
        Assert.Equal([0x80, 0x00], wide.ToArray());
    }

    [Fact]
    public void Cmos_ram_holds_every_byte_outside_the_clock()
    {
        var rtc = new CmosRtc(_clock);
        for (int i = 0x0E; i < CmosRtc.RamSize; i++)
        {
            if (i != Century)
            {
                WriteReg(rtc, (byte)i, (byte)(i ^ 0xA5));
            }
        }

        for (int i = 0x0E; i < CmosRtc.RamSize; i++)
        {
            if (i != Century)
            {
                Assert.Equal((byte)(i ^ 0xA5), ReadReg(rtc, (byte)i));
            }
        }
    }

    [Fact]
    public void Memory_size_bytes_are_filled_like_a_bios()
    {
        const ulong MiB = 1024 * 1024;
        var rtc = new CmosRtc(_clock, memoryBelow4GiB: 512 * MiB, memoryAbove4GiB: 1024 * MiB);

        Assert.Equal(640, ReadReg(rtc, 0x15) | (ReadReg(rtc, 0x16) << 8));
        Assert.Equal(0xFFFF, ReadReg(rtc, 0x17) | (ReadReg(rtc, 0x18) << 8)); // 523264 KiB caps at 0xFFFF
        Assert.Equal(0xFFFF, ReadReg(rtc, 0x30) | (ReadReg(rtc, 0x31) << 8));
        Assert.Equal((512 - 16) * 16, ReadReg(rtc, 0x34) | (ReadReg(rtc, 0x35) << 8));
        Assert.Equal(1024 * 16, ReadReg(rtc, 0x5B) | (ReadReg(rtc, 0x5C) << 8) | (ReadReg(rtc, 0x5D) << 16));
    }

    [Fact]
    public void Small_memory_fills_extended_memory_in_kib()
    {
        var rtc = new CmosRtc(_clock, memoryBelow4GiB: 8 * 1024 * 1024);

        Assert.Equal(7 * 1024, ReadReg(rtc, 0x17) | (ReadReg(rtc, 0x18) << 8));
        Assert.Equal(0, ReadReg(rtc, 0x34));
    }

    [Fact]
    public void Linux_read_persistent_clock_sees_the_host_date()
    {
        var rtc = new CmosRtc(_clock);

        // mc146818_get_time: VRT, wait while UIP, read the fields, decode BCD.
        Assert.Equal(0, ReadReg(rtc, D) & 0x40);
        Assert.Equal(0, ReadReg(rtc, A) & 0x80);
        static int Bcd(byte v) => ((v >> 4) * 10) + (v & 0x0F);
        var read = new DateTime(
            2000 + Bcd(ReadReg(rtc, Year)), Bcd(ReadReg(rtc, Mon)), Bcd(ReadReg(rtc, Day)),
            Bcd(ReadReg(rtc, Hour)), Bcd(ReadReg(rtc, Min)), Bcd(ReadReg(rtc, Sec)), DateTimeKind.Utc);
        Assert.Equal(0x02, ReadReg(rtc, B) & 0x02); // rtc-cmos refuses 12-hour mode

        Assert.Equal(new DateTime(2024, 3, 9, 13, 45, 27, DateTimeKind.Utc), read);
    }
}
