using SharpVmm.Configuration;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class VmConfigTests
{
    private static readonly VmConfig Full = new()
    {
        Machine = new MachineConfig { VcpuCount = 2, MemSizeMib = 512, Acpi = false, VirtioTransport = VirtioTransport.Mmio, EventFds = false, TestDevices = true },
        BootSource = new BootSourceConfig { KernelImagePath = "/k/vmlinux", InitrdPath = "/k/initrd", BootArgs = "console=ttyS0", Format = KernelFormat.Pvh, HostWorkarounds = false },
        Drives =
        [
            new DriveConfig { DriveId = "rootfs", PathOnHost = "/d/root.ext4", IsRootDevice = true },
            new DriveConfig { DriveId = "data", PathOnHost = "/d/data.img", IsReadOnly = true, Serial = "data-1" },
        ],
        NetworkInterfaces = [new NetworkInterfaceConfig { IfaceId = "eth0", HostDevName = "tap0", GuestMac = "52:54:00:aa:bb:cc" }],
        Entropy = new EntropyConfig(),
        Console = new ConsoleConfig { Kind = ConsoleKind.Serial, OutputPath = "/tmp/console.log" },
    };

    [Fact]
    public void A_config_survives_a_round_trip_through_json_unchanged()
    {
        string json = VmConfigJson.Serialize(Full);

        VmConfig back = VmConfigJson.Parse(json);

        Assert.Equal(json, VmConfigJson.Serialize(back));
        Assert.Equal(2, back.Machine.VcpuCount);
        Assert.Equal(VirtioTransport.Mmio, back.Machine.VirtioTransport);
        Assert.Equal(KernelFormat.Pvh, back.BootSource!.Format);
        Assert.Equal("data-1", back.Drives[1].Serial);
        Assert.Equal("52:54:00:aa:bb:cc", back.NetworkInterfaces[0].GuestMac);
        Assert.NotNull(back.Entropy);
        Assert.Equal("/tmp/console.log", back.Console.OutputPath);
    }

    [Fact]
    public void The_json_uses_firecrackers_names_and_enum_names_a_person_would_write()
    {
        string json = VmConfigJson.Serialize(Full);

        foreach (string name in new[] { "\"boot-source\"", "\"kernel_image_path\"", "\"boot_args\"", "\"machine-config\"", "\"vcpu_count\"",
            "\"mem_size_mib\"", "\"drives\"", "\"drive_id\"", "\"path_on_host\"", "\"is_root_device\"", "\"is_read_only\"",
            "\"network-interfaces\"", "\"iface_id\"", "\"host_dev_name\"", "\"guest_mac\"", "\"virtio_transport\": \"mmio\"", "\"format\": \"pvh\"" })
        {
            Assert.Contains(name, json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_minimal_firecracker_style_file_gets_the_defaults()
    {
        VmConfig config = VmConfigJson.Parse("""
            {
              "boot-source": { "kernel_image_path": "vmlinux", "boot_args": "console=ttyS0 reboot=k panic=1" },
              "drives": [ { "drive_id": "rootfs", "path_on_host": "rootfs.ext4", "is_root_device": true, "is_read_only": false } ],
              "machine-config": { "vcpu_count": 2, "mem_size_mib": 1024 }
            }
            """);

        Assert.Equal(1024UL << 20, config.Machine.MemorySize);
        Assert.True(config.Machine.Acpi);
        Assert.Equal(VirtioTransport.Pci, config.Machine.VirtioTransport);
        Assert.Equal(KernelFormat.Auto, config.BootSource!.Format);
        Assert.Empty(config.NetworkInterfaces);
        Assert.Null(config.Entropy);
        Assert.Equal(ConsoleKind.Serial, config.Console.Kind);
        config.Validate(checkHostResources: false);
    }

    [Fact]
    public void A_file_that_firecracker_itself_would_take_reads_with_its_optional_fields()
    {
        VmConfig config = VmConfigJson.Parse("""
            {
              "boot-source": { "kernel_image_path": "vmlinux", "boot_args": "console=ttyS0", "initrd_path": null },
              "drives": [ { "drive_id": "rootfs", "partuuid": null, "is_root_device": true, "cache_type": "Unsafe", "is_read_only": false,
                            "path_on_host": "rootfs.ext4", "io_engine": "Sync", "rate_limiter": null, "socket": null } ],
              "machine-config": { "vcpu_count": 2, "mem_size_mib": 1024, "smt": false, "track_dirty_pages": false, "huge_pages": "None" },
              "network-interfaces": [ { "iface_id": "net1", "guest_mac": "06:00:AC:10:00:02", "host_dev_name": "tap0" } ],
              "entropy": { "rate_limiter": null }
            }
            """);

        config.Validate(checkHostResources: false);
        Assert.Equal("Unsafe", config.Drives[0].CacheType);
        Assert.Equal(HugePages.None, config.Machine.HugePages);
    }

    [Fact]
    public void A_raw_guest_reads_with_its_mode_entry_and_registers()
    {
        VmConfig config = VmConfigJson.Parse("""
            { "machine-config": { "mem_size_mib": 64 },
              "raw-guest": { "image_path": "builtin:demo-add", "mode": "real", "load_address": 4096, "entry": "0x0:0x1000", "registers": { "rax": 2, "rbx": 2 } } }
            """);

        config.Validate();

        Assert.Equal(CpuMode.Real, config.RawGuest!.Mode);
        Assert.Equal(new GuestEntryPoint(0, 0x1000), GuestEntryPoint.For(config.RawGuest));
        Assert.Equal(2UL, config.RawGuest.Registers["rbx"]);
    }

    [Theory]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "vcpus": 2 } }""", "machine-config.vcpus", "unknown field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "vcpu_count": "two" } }""", "machine-config.vcpu_count", "wrong type")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "drives": [ { "path_on_host": "a" } ] }""", "drives[0]", "drive_id")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "drives": null }""", "drives", "null")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "virtio_transport": "isa" } }""", "machine-config.virtio_transport", "wrong type")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, }, """, "(document)", "")]
    [InlineData("""[1, 2]""", "(document)", "")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "logger": {} }""", "logger", "unknown field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "drives": [ { "drive_id": "a", "path_on_host": "a", "rate_limiter": { "ops": { "size": 1, "refill_time": 1, "rate": 5 } } } ] }""", "drives[0].rate_limiter.ops.rate", "unknown field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "drives": [ { "drive_id": "a", "path_on_host": "a", "rate_limiter": { "bandwidth": { "size": 1 } } } ] }""", "drives[0].rate_limiter.bandwidth", "refill_time")]
    public void A_malformed_file_is_refused_naming_the_field(string json, string field, string reason)
    {
        var ex = Assert.Throws<VmConfigurationException>(() => VmConfigJson.Parse(json));

        Assert.Equal(field, ex.Field);
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadFields => new()
    {
        { """{ "machine-config": { "vcpu_count": 0 }, "boot-source": { "kernel_image_path": "K" } }""", "machine-config.vcpu_count" },
        { """{ "machine-config": { "vcpu_count": 300 }, "boot-source": { "kernel_image_path": "K" } }""", "machine-config.vcpu_count" },
        { """{ "machine-config": { "mem_size_mib": 0 }, "boot-source": { "kernel_image_path": "K" } }""", "machine-config.mem_size_mib" },
        { """{ "machine-config": { "mem_size_mib": 99999999 }, "boot-source": { "kernel_image_path": "K" } }""", "machine-config.mem_size_mib" },
        { """{ "machine-config": { "vcpu_count": 1 } }""", "boot-source" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "raw-guest": { "image_path": "K" } }""", "raw-guest" },
        { """{ "boot-source": { "kernel_image_path": "/no/such/vmlinux" } }""", "boot-source.kernel_image_path" },
        { """{ "boot-source": { "kernel_image_path": "K", "initrd_path": "/no/such/initrd" } }""", "boot-source.initrd_path" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K" }, { "drive_id": "b", "path_on_host": "/no/such/disk" } ] }""", "drives[1].path_on_host" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K" }, { "drive_id": "a", "path_on_host": "K" } ] }""", "drives[1].drive_id" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a b", "path_on_host": "K" } ] }""", "drives[0].drive_id" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K", "is_root_device": true }, { "drive_id": "b", "path_on_host": "K", "is_root_device": true } ] }""", "drives[1].is_root_device" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K", "serial": "this serial is far too long" } ] }""", "drives[0].serial" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "a-name-that-is-too-long" } ] }""", "network-interfaces[0].host_dev_name" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0", "guest_mac": "01:00:00:00:00:01" } ] }""", "network-interfaces[0].guest_mac" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0", "guest_mac": "nonsense" } ] }""", "network-interfaces[0].guest_mac" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0" }, { "iface_id": "e", "host_dev_name": "tap1" } ] }""", "network-interfaces[1].iface_id" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "console": { "kind": "virtio", "output_path": "/tmp/x" } }""", "console.output_path" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "console": { "output_path": "/tmp/x", "output_limit_bytes": 0 } }""", "console.output_limit_bytes" },
        { """{ "raw-guest": { "image_path": "builtin:nothing" } }""", "raw-guest.image_path" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "machine-config": { "smt": true } }""", "machine-config.smt" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "machine-config": { "huge_pages": "2M" } }""", "machine-config.huge_pages" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "machine-config": { "cpu_template": "T2" } }""", "machine-config.cpu_template" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K", "cache_type": "Never" } ] }""", "drives[0].cache_type" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K", "rate_limiter": { "bandwidth": { "size": -1, "refill_time": 1 } } } ] }""", "drives[0].rate_limiter.bandwidth.size" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "path_on_host": "K", "rate_limiter": { "ops": { "size": 1, "one_time_burst": -5, "refill_time": 1 } } } ] }""", "drives[0].rate_limiter.ops.one_time_burst" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0", "tx_rate_limiter": { "ops": { "size": 1, "refill_time": 99999999999999 } } } ] }""", "network-interfaces[0].tx_rate_limiter.ops.refill_time" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0", "rx_rate_limiter": { "bandwidth": { "size": 1, "refill_time": -1 } } } ] }""", "network-interfaces[0].rx_rate_limiter.bandwidth.refill_time" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "entropy": { "rate_limiter": { "ops": { "size": -2, "refill_time": 100 } } } }""", "entropy.rate_limiter.ops.size" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "drives": [ { "drive_id": "a", "socket": "/s" } ] }""", "drives[0].socket" },
        { """{ "boot-source": { "kernel_image_path": "K" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0", "mtu": 1400 } ] }""", "network-interfaces[0].mtu" },
        { """{ "raw-guest": { "image_path": "K", "mode": "long", "entry": "0x10:0x0" } }""", "raw-guest.entry" },
        { """{ "raw-guest": { "image_path": "K", "load_address": 65537 } }""", "raw-guest.entry" },
        { """{ "raw-guest": { "image_path": "K", "registers": { "eax": 1 } } }""", "raw-guest.registers.eax" },
        { """{ "raw-guest": { "image_path": "K" }, "entropy": {} }""", "entropy" },
        {
            """{ "boot-source": { "kernel_image_path": "K" }, "machine-config": { "virtio_transport": "mmio" }, "drives": [ """ +
            string.Join(", ", "abcdefgh".Select(c => $$"""{ "drive_id": "{{c}}", "path_on_host": "K" }""")) + " ] }",
            "machine-config.virtio_transport"
        },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void Every_bad_field_is_refused_by_validation_naming_the_field(string json, string field)
    {
        using var dir = new TempDirectory();
        string existing = dir.File("kernel");
        File.WriteAllBytes(existing, [1]);
        VmConfig config = VmConfigJson.Parse(json.Replace("\"K\"", $"\"{existing}\"", StringComparison.Ordinal));

        var ex = Assert.Throws<VmConfigurationException>(() => config.Validate());

        Assert.Equal(field, ex.Field);
        Assert.StartsWith($"{field}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_root_drive_comes_first_in_the_guest_whatever_its_place_in_the_list()
    {
        VmConfig config = Full with { Drives = [Full.Drives[1], Full.Drives[0]] };

        Assert.Equal(["rootfs", "data"], config.DrivesInGuestOrder().Select(d => d.DriveId));
    }
}
