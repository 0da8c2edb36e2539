using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// <c>sharpvmm snapshot</c> against a VMM's API socket, and <c>sharpvmm restore</c>, which runs the snapshot's VM in a
/// new process, after the first was killed.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class SnapshotCommandTests
{
    [Fact]
    public void Sharpvmm_snapshot_leaves_the_vm_paused_and_sharpvmm_restore_goes_on_from_the_next_value_in_a_new_process()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string config = dir.File("vm.json"), state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        File.WriteAllText(config, CountingOutput.CounterGuestConfig);
        string before;
        using (var fc = FirecrackerProcess.Start(dir, id: "counter", extra: ["--config-file", config]))
        {
            CountingOutput.WaitForLines(() => fc.Stdout, 4, fc.Describe);
            CliProcess.Result snapshot = CliProcess.Run(["snapshot", "--api-sock", fc.SocketPath, "--snapshot", state, "--mem-file", memory]);
            Assert.True(snapshot.ExitCode == 0, $"sharpvmm snapshot exited {snapshot.ExitCode}: {snapshot.Stderr}");
            Assert.Contains($"snapshot: {state}", snapshot.Stdout, StringComparison.Ordinal);
            Assert.Equal("Paused", fc.Expect(200, "GET", "/").String("state"));
            fc.KillNow();
            before = fc.Stdout; // after the kill: the reader has reached the pipe's end
        }

        string socket = dir.File("restored.sock");
        using var restored = FirecrackerProcess.StartWith(["restore", "--snapshot", state, "--mem-file", memory, "--api-sock", socket], socket);
        CountingOutput.WaitForLines(() => before + restored.Stdout, CountingOutput.Values(before).Count + 4, restored.Describe);

        CountingOutput.AssertContinues(before, restored.Stdout);
        Assert.Equal("Running", restored.Expect(200, "GET", "/").String("state"));
    }

    [Fact]
    public void Sharpvmm_restore_of_a_missing_snapshot_fails_with_a_usage_error_naming_the_file()
    {
        using var dir = new TempDirectory();

        CliProcess.Result result = CliProcess.Run(["restore", "--snapshot", dir.File("none.snap"), "--mem-file", dir.File("none.mem")]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("none.snap", result.Stderr, StringComparison.Ordinal);
    }
}
