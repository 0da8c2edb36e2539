using System.Diagnostics;
using System.Globalization;

namespace SharpVmm.Cli;

/// <summary>
/// <c>--boot-timer</c> for <c>run</c> and <c>boot</c>: how long the process took from its start to the guest's first
/// instruction (the first <c>KVM_RUN</c>), in three parts: the runtime's start-up before <c>Main</c>, building the VM
/// (memory, kernel loading, devices), and starting the vCPU threads. The first <c>KVM_RUN</c> is also given as Unix
/// time, so a script that noted the time before exec can take the whole span from its own clock.
/// </summary>
internal static class StartupClock
{
    /// <summary>When <c>Main</c> began (<see cref="Stopwatch"/> ticks); set by the program's first statement.</summary>
    public static long MainStartedAt { get; set; }

    /// <summary>The report line for a VM built at <paramref name="builtAt"/> whose first vCPU entered <c>KVM_RUN</c> at <paramref name="firstRunAt"/>.</summary>
    public static string Describe(long builtAt, long firstRunAt)
    {
        if (firstRunAt == 0)
        {
            return "sharpvmm: boot timer: no vCPU ran";
        }

        DateTime processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        DateTime mainStart = DateTime.UtcNow - Stopwatch.GetElapsedTime(MainStartedAt);
        DateTime firstRun = DateTime.UtcNow - Stopwatch.GetElapsedTime(firstRunAt);
        return string.Create(CultureInfo.InvariantCulture,
            $"sharpvmm: boot timer: first KVM_RUN {(firstRun - processStart).TotalMilliseconds:F1} ms after the process started " +
            $"(runtime start-up to Main {(mainStart - processStart).TotalMilliseconds:F1} ms by /proc's 10 ms clock; " +
            $"Main to VM built {Stopwatch.GetElapsedTime(MainStartedAt, builtAt).TotalMilliseconds:F2} ms; " +
            $"VM built to first KVM_RUN {Stopwatch.GetElapsedTime(builtAt, firstRunAt).TotalMilliseconds:F2} ms); " +
            $"first KVM_RUN at Unix time {(firstRun - DateTime.UnixEpoch).Ticks / 10_000_000.0:F6}");
    }
}
