using System.Globalization;
using SharpVmm.Diagnostics;

namespace SharpVmm.Cli;

/// <summary><c>--exit-stats</c>: the exits of a run by reason, then the sites that cost the VMM most time.</summary>
internal static class ExitStatisticsReport
{
    /// <summary>How many sites the report lists.</summary>
    public const int TopSites = 10;

    /// <summary>Writes the report for <paramref name="statistics"/> to <paramref name="error"/>, one <c>sharpvmm:</c> line each.</summary>
    public static void Write(ExitStatistics statistics, TextWriter error)
    {
        IReadOnlyList<ExitSite> reasons = statistics.ByReason();
        error.WriteLine("sharpvmm: exits by reason: " + string.Join(", ", reasons.Select(r =>
            string.Create(CultureInfo.InvariantCulture, $"{r.ReasonName} {r.Count} ({r.Time.TotalMilliseconds:F1} ms)"))));
        error.WriteLine($"sharpvmm: the {TopSites} exit sites that cost most (count, VMM time in all, mean and longest per exit):");
        foreach (ExitSite site in statistics.Sites().Take(TopSites))
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sharpvmm:   {site.Describe(),-22} {site.Count,9} {site.Time.TotalMilliseconds,10:F1} ms {site.MeanTime.TotalMicroseconds,8:F1} us {site.Longest.TotalMicroseconds,9:F1} us"));
        }

        (long otherCount, TimeSpan otherTime) = statistics.Other;
        if (otherCount > 0)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sharpvmm:   and {otherCount} exits from sites past the table's {ExitStatistics.Capacity} ({otherTime.TotalMilliseconds:F1} ms)"));
        }
    }
}
