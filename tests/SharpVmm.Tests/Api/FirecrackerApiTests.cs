using System.Text.Json;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// Firecracker's API before <c>InstanceStart</c>, driven with curl against a real <c>sharpvmm firecracker</c> process:
/// what it describes and how a configuration is built up. Every answer is also checked against Firecracker's OpenAPI
/// specification. Nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerApiTests
{
    [Fact]
    public void Get_root_describes_an_instance_not_started_with_the_id_given_on_the_command_line()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir, id: "api-root-42");

        ApiResponse info = fc.Expect(200, "GET", "/");

        Assert.Equal("api-root-42", info.String("id"));
        Assert.Equal("Not started", info.String("state"));
        Assert.Equal("SharpVmm", info.String("app_name"));
        Assert.Matches(@"^\d+\.\d+\.\d+$", info.String("vmm_version"));
    }

    [Fact]
    public void Get_version_answers_the_same_version_as_get_root()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse version = fc.Expect(200, "GET", "/version");

        Assert.Equal(fc.Expect(200, "GET", "/").String("vmm_version"), version.String("firecracker_version"));
    }

    [Fact]
    public void Get_machine_config_before_any_put_shows_firecrackers_defaults_of_one_vcpu_and_128_mib()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        JsonElement machine = fc.Expect(200, "GET", "/machine-config").Json;

        Assert.Equal(1, machine.GetProperty("vcpu_count").GetInt32());
        Assert.Equal(128, machine.GetProperty("mem_size_mib").GetInt32());
        Assert.False(machine.GetProperty("smt").GetBoolean());
    }

    [Fact]
    public void A_patch_of_machine_config_changes_only_the_fields_it_names()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 2, "mem_size_mib": 256, "track_dirty_pages": true }""");
        fc.Expect(204, "PATCH", "/machine-config", """{ "mem_size_mib": 512 }""");
        JsonElement machine = fc.Expect(200, "GET", "/machine-config").Json;

        Assert.Equal(2, machine.GetProperty("vcpu_count").GetInt32());
        Assert.Equal(512, machine.GetProperty("mem_size_mib").GetInt32());
        Assert.True(machine.GetProperty("track_dirty_pages").GetBoolean());
    }

    [Fact]
    public void Get_vm_config_shows_every_resource_put_so_far()
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux");
        string disk = dir.File("disk.img");
        File.WriteAllBytes(kernel, [0x7F, (byte)'E', (byte)'L', (byte)'F']);
        File.WriteAllBytes(disk, new byte[1 << 16]);
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 2, "mem_size_mib": 64 }""");
        fc.Expect(204, "PUT", "/boot-source", $$"""{ "kernel_image_path": "{{kernel}}", "boot_args": "console=ttyS0 quiet" }""");
        fc.Expect(204, "PUT", "/drives/rootfs", $$"""{ "drive_id": "rootfs", "path_on_host": "{{disk}}", "is_root_device": true, "is_read_only": true, "rate_limiter": { "bandwidth": { "size": 1048576, "one_time_burst": 8388608, "refill_time": 1000 } } }""");
        fc.Expect(204, "PUT", "/network-interfaces/eth0", """{ "iface_id": "eth0", "host_dev_name": "tap9", "guest_mac": "06:00:ac:10:00:02", "tx_rate_limiter": { "ops": { "size": 1000, "refill_time": 100 } } }""");
        fc.Expect(204, "PUT", "/entropy", """{ "rate_limiter": { "bandwidth": { "size": 4096, "refill_time": 1000 } } }""");
        JsonElement config = fc.Expect(200, "GET", "/vm/config").Json;

        Assert.Equal(2, config.GetProperty("machine-config").GetProperty("vcpu_count").GetInt32());
        Assert.Equal(64, config.GetProperty("machine-config").GetProperty("mem_size_mib").GetInt32());
        Assert.Equal(kernel, config.GetProperty("boot-source").GetProperty("kernel_image_path").GetString());
        Assert.Equal("console=ttyS0 quiet", config.GetProperty("boot-source").GetProperty("boot_args").GetString());
        JsonElement drive = Assert.Single(config.GetProperty("drives").EnumerateArray());
        Assert.Equal("rootfs", drive.GetProperty("drive_id").GetString());
        Assert.Equal(disk, drive.GetProperty("path_on_host").GetString());
        Assert.True(drive.GetProperty("is_read_only").GetBoolean());
        JsonElement net = Assert.Single(config.GetProperty("network-interfaces").EnumerateArray());
        Assert.Equal("tap9", net.GetProperty("host_dev_name").GetString());
        Assert.Equal("06:00:ac:10:00:02", net.GetProperty("guest_mac").GetString());
        Assert.Equal(JsonValueKind.Object, config.GetProperty("entropy").ValueKind);
        Assert.Equal(8388608, drive.GetProperty("rate_limiter").GetProperty("bandwidth").GetProperty("one_time_burst").GetInt64());
        Assert.Equal(100, net.GetProperty("tx_rate_limiter").GetProperty("ops").GetProperty("refill_time").GetInt64());
        Assert.Equal(4096, config.GetProperty("entropy").GetProperty("rate_limiter").GetProperty("bandwidth").GetProperty("size").GetInt64());
    }

    [Fact]
    public void A_drive_put_again_with_the_same_id_replaces_the_first()
    {
        using var dir = new TempDirectory();
        string a = dir.File("a.img");
        string b = dir.File("b.img");
        File.WriteAllBytes(a, new byte[4096]);
        File.WriteAllBytes(b, new byte[4096]);
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/drives/data", $$"""{ "drive_id": "data", "path_on_host": "{{a}}", "is_root_device": false, "is_read_only": false }""");
        fc.Expect(204, "PUT", "/drives/data", $$"""{ "drive_id": "data", "path_on_host": "{{b}}", "is_root_device": false, "is_read_only": false }""");

        JsonElement drive = Assert.Single(fc.Expect(200, "GET", "/vm/config").Json.GetProperty("drives").EnumerateArray());
        Assert.Equal(b, drive.GetProperty("path_on_host").GetString());
    }
}
