using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// The real gdb in batch mode against the CLI's gdb stub: starts <c>sharpvmm ... --gdb tcp:127.0.0.1:0 --gdb-wait</c>,
/// reads the port it printed, runs gdb's commands against it and collects both processes.
/// </summary>
public static partial class GdbBatch
{
    /// <summary>What gdb and the VMM printed, and how each ended.</summary>
    public sealed record Outcome(string Gdb, int GdbExitCode, CliProcess.Result Vmm)
    {
        /// <summary>Both outputs, for a failure message.</summary>
        public string Describe() => $"gdb (exit code {GdbExitCode}):\n{Gdb}\nsharpvmm (exit code {Vmm.ExitCode}) stderr:\n{Vmm.Stderr}\nstdout:\n{Vmm.Stdout}";
    }

    /// <summary>
    /// Starts <c>sharpvmm</c> <paramref name="vmmArgs"/> with a gdb stub on a free loopback port, waiting for gdb, and
    /// returns the process, the port and what it printed on stderr so far (the rest is still to be read).
    /// </summary>
    public static (Process Vmm, int Port, StringBuilder Stderr) StartVmm(string[] vmmArgs)
    {
        ProcessStartInfo vmmStart = CliProcess.CreateStartInfo([.. vmmArgs, "--gdb", "tcp:127.0.0.1:0", "--gdb-wait"]);
        vmmStart.RedirectStandardInput = true;
        Process vmm = Process.Start(vmmStart)!;
        vmm.StandardInput.Close();
        var stderr = new StringBuilder();
        int port = 0;
        var listening = Task.Run(() =>
        {
            while (vmm.StandardError.ReadLine() is string line)
            {
                stderr.Append(line).Append('\n');
                if (ListeningLine().Match(line) is { Success: true } m)
                {
                    port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    return true;
                }
            }

            return false;
        });
        if (!listening.Wait(TimeSpan.FromSeconds(60)) || !listening.Result)
        {
            vmm.Kill(entireProcessTree: true);
            Assert.Fail($"sharpvmm never said where its gdb stub listens\n{stderr}{vmm.StandardOutput.ReadToEnd()}");
        }

        return (vmm, port, stderr);
    }

    /// <summary>
    /// Skips a test that needs breakpoints to reach the VMM inside tools/nested-kvm, with the reason. QEMU's software
    /// emulation of SVM (7.2) delivers an <c>int3</c> to the nested guest instead of the #BP intercept KVM asked for
    /// (the guest then faults), and never loads the debug registers for it: no breakpoint or watchpoint of any VMM
    /// fires there. On kvm_pvm these tests run on the host's own KVM (the Linux one as <c>Smoke=direct</c>).
    /// </summary>
    public static void RequireBreakpointsInGuests()
    {
        if (Environment.GetEnvironmentVariable("SHARPVMM_NESTED_VM") == "1")
        {
            Assert.Skip("under tools/nested-kvm QEMU TCG's SVM neither intercepts int3 nor loads the debug registers for the nested guest: gdb breakpoints cannot fire there; this test runs on hosts with KVM (directly on kvm_pvm)");
        }
    }

    /// <summary>Fails, showing both outputs, unless gdb printed <paramref name="text"/>.</summary>
    public static void AssertSaid(Outcome outcome, string text) =>
        Assert.True(outcome.Gdb.Contains(text, StringComparison.Ordinal), $"gdb did not print '{text}'\n{outcome.Describe()}");

    /// <summary>Fails, showing both outputs, unless gdb printed something <paramref name="pattern"/> matches.</summary>
    public static void AssertSaid(Outcome outcome, Regex pattern) =>
        Assert.True(pattern.IsMatch(outcome.Gdb), $"gdb printed nothing like /{pattern}/\n{outcome.Describe()}");

    /// <summary>Runs <paramref name="commands"/> in gdb (with <paramref name="symbols"/> loaded) against <c>sharpvmm</c> <paramref name="vmmArgs"/>.</summary>
    public static Outcome Run(string[] vmmArgs, string? symbols, IEnumerable<string> commands, TimeSpan limit)
    {
        Assert.True(TestKernel.OnPath("gdb"), "'gdb' is not on PATH: the gdb stub's tests drive the real gdb (apt-get install gdb; ./run-tests installs it)");
        (Process vmm, int port, StringBuilder stderr) = StartVmm(vmmArgs);
        using Process vmmProcess = vmm;
        var gdbStart = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        // remotetimeout: gdb resends a packet it saw no ack for within 2 s, which a loaded 2-core host can take.
        foreach (string arg in new[] { "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", "set remotetimeout 30" })
        {
            gdbStart.ArgumentList.Add(arg);
        }

        if (symbols is not null)
        {
            gdbStart.ArgumentList.Add("-ex");
            gdbStart.ArgumentList.Add($"file {symbols}");
        }

        gdbStart.ArgumentList.Add("-ex");
        gdbStart.ArgumentList.Add($"target remote 127.0.0.1:{port}");
        foreach (string command in commands)
        {
            gdbStart.ArgumentList.Add("-ex");
            gdbStart.ArgumentList.Add(command);
        }

        using Process gdb = Process.Start(gdbStart)!;
        gdb.StandardInput.Close();
        CliProcess.Result gdbResult = CliProcess.Collect(gdb, "gdb", limit);
        string gdbOutput = gdbResult.Stdout + gdbResult.Stderr;
        // The VMM's remaining stderr goes on from where the listening line left off.
        Task<string> vmmOut = vmm.StandardOutput.ReadToEndAsync();
        Task<string> vmmErr = vmm.StandardError.ReadToEndAsync();
        if (!vmm.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            vmm.Kill(entireProcessTree: true);
            vmm.WaitForExit();
            Assert.Fail($"sharpvmm was still running 60 s after gdb ended\ngdb (exit code {gdbResult.ExitCode}):\n{gdbOutput}\nsharpvmm stderr:\n{stderr}{vmmErr.Result}");
        }

        return new Outcome(gdbOutput, gdbResult.ExitCode, new CliProcess.Result(vmm.ExitCode, vmmOut.Result, stderr + vmmErr.Result));
    }

    [GeneratedRegex(@"sharpvmm: gdb: listening on tcp:127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
