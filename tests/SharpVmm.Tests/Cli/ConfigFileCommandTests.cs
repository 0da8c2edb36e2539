using SharpVmm.Cli;
using SharpVmm.Configuration;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// <c>--print-config</c> and <c>--config-file</c> through the CLI process: what the options amount to as JSON, and a
/// file's every mistake reported by field with exit code 2. Nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class ConfigFileCommandTests
{
    [Fact]
    public void Print_config_shows_what_the_boot_options_amount_to_and_the_file_reads_back_the_same()
    {
        using var dir = new TempDirectory();
        var printed = CliProcess.Run(["boot", "--kernel", "/k/vmlinux", "--initrd", "/k/initrd", "--append", "console=ttyS0 quiet",
            "--disk", "/d/data.img,readonly,serial=d1", "--disk", "/d/root.ext4,root", "--net", "tap=tap7,mac=52:54:00:00:00:07",
            "--rng", "--virtio", "mmio", "--cpus", "2", "--mem", "512M", "--no-acpi", "--print-config"]);

        Assert.Equal(ExitCodes.Success, printed.ExitCode);
        VmConfig config = VmConfigJson.Parse(printed.Stdout);
        Assert.Equal(2, config.Machine.VcpuCount);
        Assert.Equal(512UL, config.Machine.MemSizeMib);
        Assert.False(config.Machine.Acpi);
        Assert.Equal(VirtioTransport.Mmio, config.Machine.VirtioTransport);
        Assert.Equal("/k/vmlinux", config.BootSource!.KernelImagePath);
        Assert.Equal("console=ttyS0 quiet", config.BootSource.BootArgs);
        Assert.Equal(["/d/data.img", "/d/root.ext4"], config.Drives.Select(d => d.PathOnHost));
        Assert.True(config.Drives[0].IsReadOnly);
        Assert.Equal("d1", config.Drives[0].Serial);
        Assert.True(config.Drives[1].IsRootDevice);
        Assert.Equal("tap7", config.NetworkInterfaces[0].HostDevName);
        Assert.Equal("52:54:00:00:00:07", config.NetworkInterfaces[0].GuestMac);
        Assert.NotNull(config.Entropy);

        // The same VM from the file: the files it names need not exist for printing, so this reads it unvalidated.
        string file = dir.File("vm.json");
        File.WriteAllText(file, printed.Stdout);
        Assert.Equal(printed.Stdout, VmConfigJson.Serialize(VmConfigJson.Load(file)) + "\n");
    }

    [Fact]
    public void A_config_file_printed_again_is_unchanged()
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux");
        File.WriteAllBytes(kernel, [0x7F]);
        string file = dir.File("vm.json");
        File.WriteAllText(file, $$"""{ "boot-source": { "kernel_image_path": "{{kernel}}" }, "machine-config": { "vcpu_count": 3 } }""");

        var printed = CliProcess.Run(["boot", "--config-file", file, "--print-config"]);

        Assert.Equal(ExitCodes.Success, printed.ExitCode);
        VmConfig config = VmConfigJson.Parse(printed.Stdout);
        Assert.Equal(3, config.Machine.VcpuCount);
        Assert.Equal(256UL, config.Machine.MemSizeMib);
        Assert.Equal(kernel, config.BootSource!.KernelImagePath);
    }

    [Fact]
    public void Run_without_an_image_prints_the_built_in_demo_with_its_registers()
    {
        var printed = CliProcess.Run(["run", "--reg", "rcx=7", "--print-config"]);

        Assert.Equal(ExitCodes.Success, printed.ExitCode);
        RawGuestConfig raw = VmConfigJson.Parse(printed.Stdout).RawGuest!;
        Assert.Equal(BuiltInGuests.DemoAddPath, raw.ImagePath);
        Assert.Equal(2UL, raw.Registers["rax"]);
        Assert.Equal(7UL, raw.Registers["rcx"]);
        Assert.Equal("0x0:0x1000", raw.Entry);
    }

    [Theory]
    [InlineData("""{ "boot-source": { "kernel_image_path": "KERNEL" }, "machine-config": { "vcpus": 2 } }""", "machine-config.vcpus: unknown field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "KERNEL" }, "machine-config": { "vcpu_count": 0 } }""", "machine-config.vcpu_count: must be between 1 and 255, not 0")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "/no/such/vmlinux" } }""", "boot-source.kernel_image_path: /no/such/vmlinux does not exist")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "KERNEL" }, "drives": [ { "drive_id": "a", "path_on_host": "KERNEL" }, { "drive_id": "b", "path_on_host": "/no/such.img" } ] }""", "drives[1].path_on_host: /no/such.img does not exist")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "KERNEL" }, "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0", "guest_mac": "zz" } ] }""", "network-interfaces[0].guest_mac: 'zz' is not a MAC address")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "KERNEL" }, "drives": [ { "path_on_host": "KERNEL" } ] }""", "drives[0]: required field missing: drive_id")]
    [InlineData("""{ "boot-source": """, "boot-source: ")]
    public void Every_bad_field_in_a_config_file_is_exit_code_2_with_the_field_named(string json, string message)
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux");
        File.WriteAllBytes(kernel, [0x7F]);
        string file = dir.File("vm.json");
        File.WriteAllText(file, json.Replace("KERNEL", kernel, StringComparison.Ordinal));

        var result = CliProcess.Run(["boot", "--config-file", file]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith($"sharpvmm: error: configuration: {message}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_that_describe_the_vm_cannot_be_mixed_with_a_config_file()
    {
        var result = CliProcess.Run(["boot", "--config-file", "/no/such.json", "--disk", "x.img"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sharpvmm: error: --disk cannot be combined with --config-file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Boot_needs_a_kernel_or_a_config_file()
    {
        var result = CliProcess.Run(["boot"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sharpvmm: error: --kernel is required (or --config-file)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_guest_file_given_to_boot_is_pointed_at_run()
    {
        using var dir = new TempDirectory();
        string file = dir.File("demo.json");
        File.WriteAllText(file, """{ "raw-guest": { "image_path": "builtin:demo-add" } }""");

        var result = CliProcess.Run(["boot", "--config-file", file]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("sharpvmm run --config-file", result.Stderr, StringComparison.Ordinal);
    }
}
