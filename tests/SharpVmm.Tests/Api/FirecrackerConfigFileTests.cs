using SharpVmm.Api;
using SharpVmm.Configuration;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>Firecracker's <c>--config-file</c>: the VM, and the <c>logger</c> and <c>metrics</c> sections beside it.</summary>
[Tier(TestTiers.Unit)]
public class FirecrackerConfigFileTests
{
    [Fact]
    public void A_config_file_with_logger_and_metrics_sections_yields_the_vm_and_both_sections()
    {
        FirecrackerConfigFile file = FirecrackerConfigFile.Parse("""
            {
              "boot-source": { "kernel_image_path": "/k", "boot_args": "console=ttyS0" },
              "machine-config": { "vcpu_count": 2, "mem_size_mib": 256 },
              "logger": { "log_path": "/tmp/fc.log", "level": "Debug", "show_level": true },
              "metrics": { "metrics_path": "/tmp/fc.metrics" }
            }
            """);

        Assert.Equal(2, file.Vm.Machine.VcpuCount);
        Assert.Equal("/k", file.Vm.BootSource?.KernelImagePath);
        Assert.Equal("/tmp/fc.log", file.Logger?.LogPath);
        Assert.Equal("Debug", file.Logger?.Level);
        Assert.Equal("/tmp/fc.metrics", file.Metrics?.MetricsPath);
    }

    [Fact]
    public void A_config_file_without_the_vmm_sections_has_neither()
    {
        FirecrackerConfigFile file = FirecrackerConfigFile.Parse("""{ "boot-source": { "kernel_image_path": "/k" } }""");

        Assert.Null(file.Logger);
        Assert.Null(file.Metrics);
    }

    [Fact]
    public void An_unknown_field_in_the_logger_section_is_refused_naming_it()
    {
        var ex = Assert.Throws<VmConfigurationException>(() => FirecrackerConfigFile.Parse(
            """{ "boot-source": { "kernel_image_path": "/k" }, "logger": { "log_path": "/l", "colour": true } }"""));

        Assert.StartsWith("logger", ex.Field, StringComparison.Ordinal);
    }

    [Fact]
    public void A_metrics_section_without_its_path_is_refused()
    {
        var ex = Assert.Throws<VmConfigurationException>(() => FirecrackerConfigFile.Parse(
            """{ "boot-source": { "kernel_image_path": "/k" }, "metrics": { } }"""));

        Assert.StartsWith("metrics", ex.Field, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_json_is_refused_with_its_line()
    {
        var ex = Assert.Throws<VmConfigurationException>(() => FirecrackerConfigFile.Parse("{\n  \"logger\": {,\n}"));

        Assert.Contains("line", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_unknown_top_level_field_is_still_refused()
    {
        var ex = Assert.Throws<VmConfigurationException>(() => FirecrackerConfigFile.Parse(
            """{ "boot-source": { "kernel_image_path": "/k" }, "logger": { "log_path": "/l" }, "colour": 1 }"""));

        Assert.Equal("colour", ex.Field);
    }
}
