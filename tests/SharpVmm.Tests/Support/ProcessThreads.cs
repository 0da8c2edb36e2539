using System.Diagnostics;
using System.Globalization;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A running process's threads as /proc shows them: each thread's name (<c>task/TID/comm</c>) and its seccomp mode
/// (the <c>Seccomp:</c> line of <c>task/TID/status</c>: 0 none, 1 strict, 2 filter) with the number of filters stacked
/// on it (<c>Seccomp_filters:</c>, Linux 5.9 and later; -1 where the kernel does not say).
/// </summary>
public static class ProcessThreads
{
    /// <summary>seccomp's filter mode, as /proc reports it.</summary>
    public const int SeccompFilterMode = 2;

    /// <summary>Each thread of <paramref name="pid"/> as (name, seccomp mode); threads that end while being read are left out.</summary>
    public static IReadOnlyList<(string Name, int Seccomp)> Read(int pid) => [.. ReadWithFilters(pid).Select(t => (t.Name, t.Seccomp))];

    /// <summary>Each thread of <paramref name="pid"/> as (name, seccomp mode, filters stacked).</summary>
    public static IReadOnlyList<(string Name, int Seccomp, int Filters)> ReadWithFilters(int pid)
    {
        var threads = new List<(string, int, int)>();
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                string[] status = File.ReadAllLines(Path.Combine(task, "status"));
                string line = status.First(l => l.StartsWith("Seccomp:", StringComparison.Ordinal));
                string? filters = status.FirstOrDefault(l => l.StartsWith("Seccomp_filters:", StringComparison.Ordinal));
                threads.Add((name, int.Parse(line["Seccomp:".Length..].Trim(), CultureInfo.InvariantCulture),
                    filters is null ? -1 : int.Parse(filters["Seccomp_filters:".Length..].Trim(), CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // the thread ended
            }
        }

        return threads;
    }

    /// <summary>Waits until <paramref name="pid"/> has a thread called <paramref name="name"/> and returns its seccomp mode.</summary>
    public static int WaitForThread(int pid, string name, TimeSpan limit, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<(string Name, int Seccomp)> threads = Read(pid);
            foreach ((string n, int seccomp) in threads)
            {
                if (n == name)
                {
                    return seccomp;
                }
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"no thread '{name}' in process {pid} within {limit}; threads: {string.Join(", ", threads.Select(t => t.Name))}\n{describe()}");
            }

            Thread.Sleep(50);
        }
    }
}
