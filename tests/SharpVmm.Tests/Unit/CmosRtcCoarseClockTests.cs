using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Legacy;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class CmosRtcCoarseClockTests
{
    private const ulong Index = CmosRtc.IndexOffset, Data = CmosRtc.DataOffset;
    private const byte Sec = 0x00, Min = 0x02, Hour = 0x04, Day = 0x07, Mon = 0x08, Year = 0x09, A = 0x0A, B = 0x0B;
    private const byte Uip = 0x80;

    private static readonly DateTimeOffset Start = new(2024, 3, 9, 13, 45, 27, 500, TimeSpan.Zero);
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(8);

    private static byte ReadReg(CmosRtc rtc, byte register)
    {
        rtc.Write(Index, [register]);
        Span<byte> b = [0];
        rtc.Read(Data, b);
        return b[0];
    }

    private static byte[] ReadClock(CmosRtc rtc) =>
        [ReadReg(rtc, A), ReadReg(rtc, Sec), ReadReg(rtc, Min), ReadReg(rtc, Hour), ReadReg(rtc, Day), ReadReg(rtc, Mon), ReadReg(rtc, Year)];

    [Fact]
    public void Away_from_the_end_of_a_second_the_time_registers_come_from_the_coarse_clock_alone()
    {
        var clock = new CoarseFakeClock(Start, Lag) { Trailing = TimeSpan.FromMilliseconds(3) };
        var rtc = new CmosRtc(clock);
        clock.PreciseReads = 0;

        Assert.Equal<byte>([0x26, 0x27, 0x45, 0x13, 0x09, 0x03, 0x24], ReadClock(rtc));
        Assert.Equal(0, clock.PreciseReads);
    }

    [Fact]
    public void Within_the_coarse_clocks_lag_of_the_update_cycle_the_rtc_reads_the_precise_clock()
    {
        var clock = new CoarseFakeClock(Start.AddMilliseconds(490), Lag); // 990 ms into second 27: 8 ms of lag reach the update window
        var rtc = new CmosRtc(clock);
        clock.PreciseReads = 0;

        Assert.Equal(0x26, ReadReg(rtc, A));
        Assert.Equal(0x27, ReadReg(rtc, Sec));
        Assert.Equal(2, clock.PreciseReads);

        clock.Advance(TimeSpan.FromMilliseconds(8.5)); // 998.5 ms: the update is in progress
        Assert.Equal(0x26 | Uip, ReadReg(rtc, A));
        clock.Advance(TimeSpan.FromMilliseconds(2)); // 0.5 ms into second 28
        Assert.Equal(0x28, ReadReg(rtc, Sec));
    }

    [Fact]
    public void A_coarse_clock_trailing_by_up_to_its_lag_never_changes_what_the_guest_reads()
    {
        var random = new Random(16);
        for (int i = 0; i < 2000; i++)
        {
            DateTimeOffset now = Start.AddTicks(random.NextInt64(0, 3 * TimeSpan.TicksPerSecond));
            var coarse = new CoarseFakeClock(now, Lag) { Trailing = TimeSpan.FromTicks(random.NextInt64(0, Lag.Ticks + 1)) };
            var precise = new FakeTimeProvider(now);

            Assert.Equal(ReadClock(new CmosRtc(precise)), ReadClock(new CmosRtc(coarse)));
        }
    }

    [Fact]
    public void A_clock_set_by_the_guest_is_read_from_the_coarse_clock_with_its_offset()
    {
        var clock = new CoarseFakeClock(Start, Lag) { Trailing = TimeSpan.FromMilliseconds(2) };
        var rtc = new CmosRtc(clock);
        rtc.Write(Index, [B]);
        rtc.Write(Data, [0x82]); // SET, 24-hour
        rtc.Write(Index, [Hour]);
        rtc.Write(Data, [0x07]);
        rtc.Write(Index, [B]);
        rtc.Write(Data, [0x02]); // updates resume from 07:45:27
        clock.Advance(TimeSpan.FromMilliseconds(400));
        clock.PreciseReads = 0;

        Assert.Equal(0x07, ReadReg(rtc, Hour));
        Assert.Equal(0x27, ReadReg(rtc, Sec));
        Assert.Equal(0, clock.PreciseReads);
    }

    [Fact]
    public void The_hosts_coarse_clock_is_never_ahead_of_the_precise_one_nor_behind_it_by_more_than_its_lag()
    {
        Assert.True(CoarseRealtimeClock.IsAvailable);
        Assert.InRange(CoarseRealtimeClock.MaxLag, TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(100));
        for (int i = 0; i < 1000; i++)
        {
            DateTimeOffset before = DateTimeOffset.UtcNow;
            Assert.True(CoarseRealtimeClock.TryGetUtcNow(out DateTimeOffset coarse));
            DateTimeOffset after = DateTimeOffset.UtcNow;

            Assert.True(coarse <= after, $"coarse {coarse:O} is ahead of the precise {after:O}");
            Assert.True(coarse >= before - CoarseRealtimeClock.MaxLag, $"coarse {coarse:O} trails the precise {before:O} by more than {CoarseRealtimeClock.MaxLag}");
        }
    }

    // A fake clock whose coarse reading trails its precise one by Trailing, and which counts its precise reads.
    private sealed class CoarseFakeClock(DateTimeOffset start, TimeSpan maxLag) : FakeTimeProvider(start), ICoarseUtcClock
    {
        public TimeSpan Trailing { get; init; }

        public int PreciseReads { get; set; }

        public TimeSpan MaxLag => maxLag;

        public DateTimeOffset GetCoarseUtcNow() => base.GetUtcNow() - Trailing;

        public override DateTimeOffset GetUtcNow()
        {
            PreciseReads++;
            return base.GetUtcNow();
        }
    }
}
