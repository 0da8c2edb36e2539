using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// Firecracker's rules for refusing a request, through curl against a real <c>sharpvmm firecracker</c> process: each
/// refusal is a 400 with <c>{"fault_message": ...}</c> that says why, never a 404 or a 500, and each is checked
/// against Firecracker's OpenAPI specification. Nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerApiErrorTests
{
    [Theory]
    [InlineData("PUT", "/machine-config", """{ "vcpu_count": 1, "mem_size_mib": 128, "vcpus": 2 }""", "vcpus")]
    [InlineData("PATCH", "/machine-config", """{ "memory": 64 }""", "memory")]
    [InlineData("PUT", "/actions", """{ "action_type": "FlushMetrics", "delay": 1 }""", "delay")]
    [InlineData("PUT", "/network-interfaces/eth0", """{ "iface_id": "eth0", "host_dev_name": "tap0", "colour": "red" }""", "colour")]
    [InlineData("PUT", "/network-interfaces/eth0", """{ "iface_id": "eth0", "host_dev_name": "tap0", "rx_rate_limiter": { "ops": { "size": 1, "refill_time": 1, "rate": 2 } } }""", "rate")]
    public void A_body_with_an_unknown_field_is_refused_with_the_field_named(string method, string path, string body, string field)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, method, path, body);

        Assert.Contains(field, refused.FaultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drive_whose_id_in_the_path_differs_from_the_body_is_refused()
    {
        using var dir = new TempDirectory();
        string disk = dir.File("disk.img");
        File.WriteAllBytes(disk, new byte[4096]);
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, "PUT", "/drives/rootfs",
            $$"""{ "drive_id": "scratch", "path_on_host": "{{disk}}", "is_root_device": true, "is_read_only": false }""");

        Assert.Contains("'rootfs'", refused.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("'scratch'", refused.FaultMessage, StringComparison.Ordinal);
        Assert.Empty(fc.Expect(200, "GET", "/vm/config").Json.GetProperty("drives").EnumerateArray());
    }

    [Fact]
    public void A_network_interface_whose_id_in_the_path_differs_from_the_body_is_refused()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, "PUT", "/network-interfaces/eth0", """{ "iface_id": "eth1", "host_dev_name": "tap0" }""");

        Assert.Contains("iface_id", refused.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("'eth1'", refused.FaultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_boot_source_whose_kernel_file_is_missing_is_refused_when_it_is_put()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        string missing = dir.File("no-such-vmlinux");

        ApiResponse refused = fc.Expect(400, "PUT", "/boot-source", $$"""{ "kernel_image_path": "{{missing}}" }""");

        Assert.Contains(missing, refused.FaultMessage, StringComparison.Ordinal);
        Assert.False(fc.Expect(200, "GET", "/vm/config").Json.TryGetProperty("boot-source", out _), "the refused boot source was kept");
    }

    [Fact]
    public void A_drive_whose_file_is_missing_is_refused_when_it_is_put()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        string missing = dir.File("no-such.ext4");

        ApiResponse refused = fc.Expect(400, "PUT", "/drives/rootfs",
            $$"""{ "drive_id": "rootfs", "path_on_host": "{{missing}}", "is_root_device": true, "is_read_only": false }""");

        Assert.Contains(missing, refused.FaultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_over_51200_bytes_is_refused_and_the_server_goes_on_answering()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        string big = $$"""{ "vcpu_count": 1, "mem_size_mib": 128, "cpu_template": "{{new string('x', 51_200)}}" }""";

        ApiResponse refused = fc.Expect(400, "PUT", "/machine-config", big);

        Assert.Contains("51200", refused.FaultMessage, StringComparison.Ordinal);
        fc.Expect(200, "GET", "/");
    }

    [Theory]
    [InlineData("PATCH", "/balloon/hinting/start", """{ "acknowledge_on_stop": true }""")]
    [InlineData("PUT", "/mmds", "{}")]
    [InlineData("PUT", "/mmds/config", """{ "network_interfaces": ["eth0"] }""")]
    [InlineData("PUT", "/hotplug/memory", """{ "total_size_mib": 1024 }""")]
    [InlineData("PUT", "/pmem/x", """{ "id": "x", "path_on_host": "/tmp/p" }""")]
    [InlineData("PUT", "/cpu-config", "{}")]
    [InlineData("GET", "/balloon/hinting/status", null)]
    public void An_endpoint_sharpvmm_does_not_have_yet_answers_400_saying_it_is_not_supported(string method, string path, string? body)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, method, path, body);

        Assert.Contains("not supported", refused.FaultMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/snapshot/create", """{ "snapshot_path": "/tmp/s", "mem_file_path": "/tmp/m" }""", "not supported before starting")]
    [InlineData("/snapshot/load", """{ "snapshot_path": "/nonexistent/s", "mem_file_path": "/tmp/m" }""", "/nonexistent/s")]
    [InlineData("/snapshot/load", """{ "snapshot_path": "/tmp/s", "mem_backend": { "backend_type": "Uffd", "backend_path": "/tmp/u" } }""", "Uffd memory backend is not supported")]
    [InlineData("/snapshot/load", """{ "snapshot_path": "/tmp/s" }""", "Exactly one of mem_backend and mem_file_path")]
    [InlineData("/snapshot/load", """{ "snapshot_path": "/tmp/s", "mem_file_path": "/tmp/m", "mem_backend": { "backend_type": "File", "backend_path": "/tmp/m" } }""", "Exactly one")]
    public void A_snapshot_request_that_cannot_be_carried_out_answers_400_saying_why(string path, string body, string reason)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, "PUT", path, body);

        Assert.Contains(reason, refused.FaultMessage, StringComparison.Ordinal);
        Assert.Equal("Not started", fc.Expect(200, "GET", "/").String("state"));
    }

    [Theory]
    [InlineData("GET", "/no-such-thing")]
    [InlineData("DELETE", "/machine-config")]
    [InlineData("GET", "/drives/rootfs")]
    public void An_unknown_path_or_method_answers_400_not_404(string method, string path)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, method, path);

        Assert.Contains(path, refused.FaultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_start_without_a_kernel_is_refused()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");

        Assert.Contains("without kernel configuration", refused.FaultMessage, StringComparison.Ordinal);
        Assert.Equal("Not started", fc.Expect(200, "GET", "/").String("state"));
    }

    [Theory]
    [InlineData("PATCH", "/vm", """{ "state": "Paused" }""")]
    [InlineData("PUT", "/actions", """{ "action_type": "SendCtrlAltDel" }""")]
    public void A_request_that_needs_a_running_microvm_is_refused_before_start(string method, string path, string body)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, method, path, body);

        Assert.Contains("not supported before starting", refused.FaultMessage, StringComparison.Ordinal);
    }
}
