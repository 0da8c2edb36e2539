using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace SharpVmm.Tests.Kvm.Snapshot;

/// <summary>
/// The output of a counting guest (<c>builtin:counter</c>: hex lines; the test kernel's <c>exit=count</c>: <c>count N</c>
/// lines): waiting for it, and checking that what one VM printed and what its restored copy printed after it are one
/// unbroken sequence.
/// </summary>
internal static class CountingOutput
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>A VM configuration file (Firecracker's format) that runs <c>builtin:counter</c> in 1 MiB.</summary>
    public const string CounterGuestConfig =
        """{"machine-config":{"mem_size_mib":1},"raw-guest":{"image_path":"builtin:counter","load_address":65536,"entry":"0x1000:0x0"}}""";

    /// <summary>Waits until <paramref name="text"/>() has at least <paramref name="count"/> counter lines.</summary>
    public static void WaitForLines(Func<string> text, int count, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (Values(text()).Count < count)
        {
            Assert.True(clock.Elapsed < Patience, $"fewer than {count} counter lines within {Patience}\n{describe()}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits until <paramref name="text"/>() contains <paramref name="what"/>.</summary>
    public static void WaitFor(Func<string> text, string what, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!text().Contains(what, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < Patience, $"no '{what}' within {Patience}\n{describe()}");
            Thread.Sleep(20);
        }
    }

    /// <summary>The counter values in <paramref name="text"/>, one per complete line, in order.</summary>
    public static List<long> Values(string text) =>
        [.. Lines(text).Select(Value).Where(v => v is not null).Select(v => v!.Value)];

    /// <summary>
    /// Asserts that <paramref name="before"/> (what the snapshotted VM printed until it was paused) followed by
    /// <paramref name="after"/> (what the restored VM printed) counts 1, 2, 3, ... with no value missing or repeated.
    /// The pause may have come in the middle of a line, which the restored VM then finishes.
    /// </summary>
    public static void AssertContinues(string before, string after)
    {
        // A process's output read line by line ends with a newline even when the pause cut a line in two ("c" before,
        // "ount 6" after): then the join without that newline is the one that counts on.
        string joined = before + after;
        if (before.EndsWith('\n') && !IsCounting(joined) && IsCounting(before[..^1] + after))
        {
            joined = before[..^1] + after;
        }

        List<long> values = Values(joined);
        Assert.True(values.Count > Values(before).Count + 2, $"the restored VM printed too little:\n--- before ---\n{Tail(before)}\n--- after ---\n{Tail(after)}");
        for (int i = 0; i < values.Count; i++)
        {
            Assert.True(values[i] == i + 1,
                $"value {i + 1} is {values[i]}: the sequence breaks where the restored VM took over?\n--- before ---\n{Tail(before)}\n--- after ---\n{Tail(after)}");
        }
    }

    private static bool IsCounting(string text) => Values(text).Select((v, i) => v == i + 1).All(ok => ok);

    private static IEnumerable<string> Lines(string text)
    {
        string[] lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        return lines[..^1]; // the last piece has no newline yet
    }

    private static long? Value(string line)
    {
        if (line.StartsWith("count ", StringComparison.Ordinal))
        {
            string number = line[6..].Split(' ')[0];
            return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
        }

        return line.Length == 8 && long.TryParse(line, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex) ? hex : null;
    }

    private static string Tail(string text) => text.Length > 600 ? "..." + text[^600..] : text;
}
