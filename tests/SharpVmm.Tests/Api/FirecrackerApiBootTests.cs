using System.Diagnostics;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// Firecracker's API starting real guests, through curl against a real <c>sharpvmm firecracker</c> process: the
/// project's Multiboot test kernel configured and started with <c>InstanceStart</c>, and a raw guest that loops forever
/// (from <c>--config-file</c>) paused, resumed and stopped with SIGTERM. Every answer is checked against Firecracker's
/// OpenAPI specification.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class FirecrackerApiBootTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>kvmsample: 16-bit code that writes a counter to port 0x10 forever.</summary>
    private const string LoopingGuest =
        """{"machine-config":{"mem_size_mib":1},"raw-guest":{"image_path":"builtin:kvmsample","load_address":65536,"entry":"0x1000:0x0"}}""";

    [Fact]
    public void The_test_kernel_configured_and_started_through_the_api_passes_its_checks_and_exits_through_isa_debug_exit()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir, id: "testkernel");

        fc.Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 2, "mem_size_mib": 128 }""");
        fc.Expect(204, "PUT", "/boot-source", $$"""{ "kernel_image_path": "{{kernel}}", "boot_args": "mem=128 cpus=2 exit=debug" }""");
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");
        AssertRunningOrEnded(fc);
        int exit = fc.WaitForExit(Limit);

        Assert.True(exit == 33, $"exit code {exit}, expected 33 (isa-debug-exit 0x10)\n{fc.Describe()}");
        string[] lines = fc.Stdout.Split('\n');
        Assert.All(TestKernel.OkLines, ok => Assert.True(lines.Contains(ok), $"no line '{ok}' on the serial console\n{fc.Describe()}"));
        Assert.Contains("cmdline: mem=128 cpus=2 exit=debug", fc.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL:", fc.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_looping_guest_is_paused_and_resumed_through_patch_vm_and_stops_on_sigterm()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartLoopingGuest(dir);

        Assert.Equal("Running", fc.Expect(200, "GET", "/").String("state"));
        fc.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
        Assert.Equal("Paused", fc.Expect(200, "GET", "/").String("state"));
        fc.Expect(204, "PATCH", "/vm", """{ "state": "Resumed" }""");
        Assert.Equal("Running", fc.Expect(200, "GET", "/").String("state"));
        fc.Signal(15); // SIGTERM
        int exit = fc.WaitForExit(Limit);

        Assert.True(exit == 0, $"exit code {exit} after SIGTERM, expected 0\n{fc.Describe()}");
        Assert.Contains("stopped by a signal", fc.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(fc.SocketPath), "the API socket was left behind");
    }

    [Fact]
    public void A_vm_is_only_paused_once_and_only_resumed_when_paused()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartLoopingGuest(dir);

        fc.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
        ApiResponse again = fc.Call("PATCH", "/vm", """{ "state": "Paused" }""");
        fc.Expect(204, "PATCH", "/vm", """{ "state": "Resumed" }""");
        ApiResponse unknown = fc.Expect(400, "PATCH", "/vm", """{ "state": "Stopped" }""");

        Assert.True(again.Status is 204 or 400, $"a second pause answered {again}");
        Assert.Contains("Paused or Resumed", unknown.FaultMessage, StringComparison.Ordinal);
        Assert.Equal("Running", fc.Expect(200, "GET", "/").String("state"));
    }

    [Theory]
    [InlineData("PUT", "/machine-config", """{ "vcpu_count": 2, "mem_size_mib": 128 }""")]
    [InlineData("PATCH", "/machine-config", """{ "vcpu_count": 2 }""")]
    [InlineData("PUT", "/boot-source", """{ "kernel_image_path": "KERNEL" }""")]
    [InlineData("PUT", "/drives/data", """{ "drive_id": "data", "path_on_host": "KERNEL", "is_root_device": false, "is_read_only": true }""")]
    [InlineData("PUT", "/network-interfaces/eth0", """{ "iface_id": "eth0", "host_dev_name": "tap0" }""")]
    [InlineData("PUT", "/entropy", "{}")]
    [InlineData("PUT", "/balloon", """{ "amount_mib": 0, "deflate_on_oom": false }""")]
    [InlineData("PUT", "/vsock", """{ "guest_cid": 3, "uds_path": "KERNEL.sock" }""")]
    [InlineData("PUT", "/actions", """{ "action_type": "InstanceStart" }""")]
    public void A_pre_boot_request_after_instance_start_is_refused(string method, string path, string body)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string file = dir.File("some-file");
        File.WriteAllBytes(file, new byte[4096]);
        using FirecrackerProcess fc = StartLoopingGuest(dir);

        ApiResponse refused = fc.Expect(400, method, path, body.Replace("KERNEL", file, StringComparison.Ordinal));

        Assert.Equal("The requested operation is not supported after starting the microVM.", refused.FaultMessage);
        Assert.Equal(1, fc.Expect(200, "GET", "/machine-config").Json.GetProperty("mem_size_mib").GetInt32());
    }

    [Fact]
    public void A_logger_put_before_start_gets_the_vmms_lines_once_the_guest_runs()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string log = dir.File("fc.log");
        File.WriteAllText(log, "");
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/logger", $$"""{ "log_path": "{{log}}", "level": "Info", "show_level": true, "show_log_origin": true }""");
        fc.Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 2, "mem_size_mib": 128 }""");
        fc.Expect(204, "PUT", "/boot-source", $$"""{ "kernel_image_path": "{{kernel}}", "boot_args": "mem=128 cpus=2 exit=debug" }""");
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");
        fc.WaitForExit(Limit);

        string[] lines = File.ReadAllLines(log);
        Assert.True(lines.Length > 0, $"nothing was logged to {log}\n{fc.Describe()}");
        Assert.Contains(lines, l => l.Contains("built a VM with 2 vCPU(s), 128 MiB", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("isa-debug-exit", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT[\d:.]+Z \[\d+\]:(INFORMATION|WARNING|ERROR|CRITICAL):\S+ ", l));
    }

    [Fact]
    public void Flush_metrics_after_start_counts_the_guests_port_io_exits_under_firecrackers_name()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string metrics = dir.File("metrics.ndjson");
        using FirecrackerProcess fc = StartLoopingGuest(dir);

        fc.Expect(204, "PUT", "/metrics", $$"""{ "metrics_path": "{{metrics}}" }""");
        // Each flush appends a line; the guest loops on port I/O from its first instruction, but a slow host may not
        // have run it yet at the first flush, so flush until a line counts exits (or the patience runs out).
        var clock = Stopwatch.StartNew();
        string[] lines;
        do
        {
            Thread.Sleep(100);
            fc.Expect(204, "PUT", "/actions", """{ "action_type": "FlushMetrics" }""");
            lines = File.ReadAllLines(metrics);
        }
        while ((lines.Length == 0 || !lines[^1].Contains("\"exit_io\"", StringComparison.Ordinal)) && clock.Elapsed < Limit);

        Assert.NotEmpty(lines);

        using var line = System.Text.Json.JsonDocument.Parse(lines[^1]);
        Assert.True(line.RootElement.TryGetProperty("vcpu", out var vcpu), $"no vcpu block in {line.RootElement}");
        Assert.True(vcpu.TryGetProperty("exit_io", out var io) && io.GetInt64() > 0, $"no port I/O exits counted (Firecracker's exit_io): {line.RootElement}");
        Assert.True(line.RootElement.GetProperty("utc_timestamp_ms").GetInt64() > 0);
    }

    [Fact]
    public void The_logger_and_metrics_sections_of_a_config_file_configure_the_vmm_as_put_logger_and_put_metrics_do()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string log = dir.File("fc.log"), metrics = dir.File("metrics.ndjson"), config = dir.File("vm.json");
        File.WriteAllText(config, LoopingGuest[..^1] +
            $$$""","logger":{"log_path":"{{{log}}}","level":"Info"},"metrics":{"metrics_path":"{{{metrics}}}"}}""");
        using var fc = FirecrackerProcess.Start(dir, id: "sections", extra: ["--config-file", config]);

        fc.Expect(204, "PUT", "/actions", """{ "action_type": "FlushMetrics" }""");
        ApiResponse again = fc.Expect(400, "PUT", "/metrics", $$"""{ "metrics_path": "{{metrics}}" }""");

        Assert.Contains("Reinitialization of metrics not allowed", again.FaultMessage, StringComparison.Ordinal);
        using var line = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(metrics)));
        Assert.True(line.RootElement.TryGetProperty("vcpu", out _), $"no vcpu block in {line.RootElement}");
        Assert.Contains("built a VM", File.ReadAllText(log), StringComparison.Ordinal);
    }

    private static FirecrackerProcess StartLoopingGuest(TempDirectory dir)
    {
        string config = dir.File("vm.json");
        File.WriteAllText(config, LoopingGuest);
        return FirecrackerProcess.Start(dir, id: "loop", extra: ["--config-file", config]);
    }

    /// <summary>GET / right after InstanceStart: Running, unless the guest has already ended and the process with it.</summary>
    private static void AssertRunningOrEnded(FirecrackerProcess fc)
    {
        ApiResponse info;
        try
        {
            info = FirecrackerProcess.Curl(fc.SocketPath, "GET", "/");
        }
        catch (Xunit.Sdk.XunitException)
        {
            fc.WaitForExit(TimeSpan.FromSeconds(10)); // curl found no server: the process must be ending
            return;
        }

        FirecrackerOpenApi.AssertConforms("GET", "/", info);
        Assert.Equal("Running", info.String("state"));
    }
}
