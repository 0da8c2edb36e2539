using SharpVmm.Diagnostics;
using SharpVmm.Kvm;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class ExitStatisticsTests
{
    private const uint Io = (uint)KvmExitReason.Io, Mmio = (uint)KvmExitReason.Mmio, Hlt = (uint)KvmExitReason.Hlt;

    [Fact]
    public void Exits_are_counted_and_timed_apart_by_reason_direction_and_address()
    {
        var stats = new ExitStatistics();
        long tick = SharpVmm.Sys.CycleClock.FromTimeSpan(TimeSpan.FromMicroseconds(1)); // the exit path's clock

        for (int i = 0; i < 3; i++)
        {
            stats.Record(Io, isWrite: true, 0x3f8, 10 * tick);
        }

        stats.Record(Io, isWrite: false, 0x3fd, 5 * tick);
        stats.Record(Mmio, isWrite: true, 0xd000_0050, 100 * tick);
        stats.Record(Hlt, isWrite: false, 0, tick);

        IReadOnlyList<ExitSite> sites = stats.Sites();
        Assert.Equal(4, sites.Count);
        Assert.Equal("MMIO write 0xd0000050", sites[0].Describe()); // the most expensive first
        ExitSite serial = Assert.Single(sites, s => s.Describe() == "IO out 0x3f8");
        Assert.Equal(3, serial.Count);
        Assert.Equal(30, serial.Time.TotalMicroseconds, 1.0);
        Assert.Equal(10, serial.MeanTime.TotalMicroseconds, 1.0);
        Assert.Contains(sites, s => s.Describe() == "IO in 0x3fd" && s.Count == 1);
        Assert.Contains(sites, s => s.Describe() == KvmExitReasonNames.Of(Hlt) && !s.HasAddress);
    }

    [Fact]
    public void By_reason_sums_every_site_of_a_reason()
    {
        var stats = new ExitStatistics();
        stats.Record(Io, true, 0x3f8, 1);
        stats.Record(Io, false, 0x60, 2);
        stats.Record(Mmio, false, 0x1000, 4);

        IReadOnlyList<ExitSite> reasons = stats.ByReason();

        Assert.Equal(2, reasons.Count);
        Assert.Equal(2, Assert.Single(reasons, r => r.Reason == Io).Count);
        Assert.Equal(1, Assert.Single(reasons, r => r.Reason == Mmio).Count);
    }

    [Fact]
    public void Sites_past_the_table_are_counted_together_and_nothing_is_lost()
    {
        var stats = new ExitStatistics();
        const int Ports = ExitStatistics.Capacity + 500;
        for (int port = 0; port < Ports; port++)
        {
            stats.Record(Io, false, (ulong)port, 1);
        }

        (long other, _) = stats.Other;
        Assert.True(other >= 500, $"only {other} exits went to Other");
        Assert.Equal(Ports, stats.Sites().Sum(s => s.Count) + other);
    }

    [Fact]
    public async Task Threads_recording_at_once_lose_no_exit()
    {
        var stats = new ExitStatistics();
        const int PerThread = 20_000;
        Task[] threads = [.. Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                stats.Record(Io, (i / 64 & 1) != 0, (ulong)(i % 64), 1);
            }
        }, TestContext.Current.CancellationToken))];
        await Task.WhenAll(threads);

        Assert.Equal(4 * PerThread, stats.Sites().Sum(s => s.Count) + stats.Other.Count);
        Assert.Equal(128, stats.Sites().Count);
    }
}
