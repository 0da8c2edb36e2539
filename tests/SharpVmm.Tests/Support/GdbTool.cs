using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Runs the real gdb in batch mode (<c>gdb -nx -batch -ex ...</c>), so tests can check that gdb itself accepts what the
/// stub produces. A host without gdb fails such tests, naming what to install: they are not skipped.
/// </summary>
public static class GdbTool
{
    /// <summary>One row of <c>maint print remote-registers</c>: a register gdb exchanges with the stub.</summary>
    public sealed record RemoteRegister(string Name, int Size, int RemoteNumber, int PacketOffset);

    /// <summary>gdb's path: /usr/bin/gdb or the first on PATH; fails the test when there is none.</summary>
    public static string Path
    {
        get
        {
            string? found = File.Exists("/usr/bin/gdb") ? "/usr/bin/gdb"
                : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                    .Select(d => System.IO.Path.Combine(d, "gdb")).FirstOrDefault(File.Exists);
            Assert.True(found is not null, "gdb is not installed (no /usr/bin/gdb, none on PATH): the gdb stub's tests check their output " +
                "with the real gdb; install it (apt-get install gdb)");
            return found!;
        }
    }

    /// <summary>Runs <c>gdb -nx -batch</c> with each of <paramref name="commands"/> as an <c>-ex</c>; stdout and stderr together.</summary>
    public static string Run(IEnumerable<string> commands, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-nx");
        psi.ArgumentList.Add("-batch");
        // gdb resends a packet it saw no ack for within 2 s: on a loaded 2-core host that desynchronises the exchange.
        psi.ArgumentList.Add("-ex");
        psi.ArgumentList.Add("set remotetimeout 30");
        foreach (string command in commands)
        {
            psi.ArgumentList.Add("-ex");
            psi.ArgumentList.Add(command);
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        CliProcess.Result result = CliProcess.Collect(process, "gdb", timeout ?? TimeSpan.FromSeconds(60));
        string output = result.Stdout + result.Stderr;
        Assert.True(result.ExitCode == 0, $"gdb exited with {result.ExitCode}:\n{output}");
        return output;
    }

    /// <summary>
    /// The registers in <c>maint print remote-registers</c> output (those with a remote number; gdb's pseudo registers
    /// have none), in remote-number order.
    /// </summary>
    public static IReadOnlyList<RemoteRegister> ParseRemoteRegisters(string output)
    {
        // " Name  Nr  Rel  Offset  Size  Type  Rmt Nr  g/G Offset": the last two columns are blank for pseudo registers
        var registers = new List<RemoteRegister>();
        foreach (string line in output.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 8 && f[0] != "Name" && Int(f[1]) is not null && Int(f[4]) is { } size
                && Int(f[^2]) is { } remote && Int(f[^1]) is { } offset)
            {
                registers.Add(new RemoteRegister(f[0], size, remote, offset));
            }
        }

        return [.. registers.OrderBy(r => r.RemoteNumber)];
    }

    private static int? Int(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
}
