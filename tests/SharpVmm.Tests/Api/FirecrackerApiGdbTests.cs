using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// Firecracker's <c>gdb_socket_path</c> (machine-config, of its gdb build): the guest waits before its first instruction
/// until the real gdb attaches on that Unix socket and continues it.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class FirecrackerApiGdbTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public void With_a_gdb_socket_path_the_guest_waits_at_its_entry_for_gdb_and_runs_to_its_exit_when_gdb_continues()
    {
        KvmTestEnvironment.RequireKvm();
        Assert.True(TestKernel.OnPath("gdb"), "'gdb' is not on PATH (apt-get install gdb; ./run-tests installs it)");
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string socket = dir.File("gdb.sock");
        using var fc = FirecrackerProcess.Start(dir, id: "gdb");
        fc.Expect(204, "PUT", "/machine-config", $$"""{ "vcpu_count": 1, "mem_size_mib": 128, "gdb_socket_path": "{{socket}}" }""");
        fc.Expect(204, "PUT", "/boot-source", $$"""{ "kernel_image_path": "{{kernel}}", "boot_args": "mem=128 cpus=1 exit=debug" }""");
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");

        Assert.Equal("Paused", fc.Expect(200, "GET", "/").String("state")); // held before the first instruction
        var gdb = CliProcess.Collect(System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("gdb",
            ["-nx", "-batch", "-ex", "set remotetimeout 30", "-ex", $"file {kernel}", "-ex", $"target remote {socket}", "-ex", "printf \"entry at %d\\n\", $pc == (long)&_start", "-ex", "continue"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!, "gdb", Limit);
        int exit = fc.WaitForExit(Limit);

        string said = gdb.Stdout + gdb.Stderr;
        Assert.True(said.Contains("entry at 1", StringComparison.Ordinal), $"gdb did not find the guest at _start\n{said}\n{fc.Describe()}");
        Assert.True(said.Contains("exited with code 041", StringComparison.Ordinal), $"gdb did not see the guest's exit\n{said}\n{fc.Describe()}");
        Assert.Equal(33, exit);
        Assert.Contains("all ok, exiting through isa-debug-exit", fc.Stdout, StringComparison.Ordinal);
    }
}
