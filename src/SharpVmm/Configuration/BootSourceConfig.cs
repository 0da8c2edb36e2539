using System.Text.Json.Serialization;
using SharpVmm.Platform;

namespace SharpVmm.Configuration;

/// <summary>The kernel to boot directly, with no firmware (Firecracker's <c>boot-source</c>, extended).</summary>
public sealed record BootSourceConfig
{
    /// <summary>The default command line: serial console, and a reboot (which ends the VMM) when the kernel panics.</summary>
    public const string DefaultBootArgs = "console=ttyS0 reboot=k panic=-1";

    /// <summary>The default command line when the console is a virtio-console (hvc0).</summary>
    public const string VirtioConsoleBootArgs = "console=hvc0 reboot=k panic=-1";

    /// <summary>A Linux bzImage, an ELF vmlinux with a PVH entry note, or a Multiboot kernel.</summary>
    [JsonPropertyName("kernel_image_path")]
    public required string KernelImagePath { get; set; }

    /// <summary>The initial ramdisk (a Multiboot kernel gets it as its module); null for none.</summary>
    [JsonPropertyName("initrd_path")]
    public string? InitrdPath { get; set; }

    /// <summary>The kernel command line; null for the default, which depends on the console.</summary>
    [JsonPropertyName("boot_args")]
    public string? BootArgs { get; set; }

    /// <summary>How to start the kernel; <see cref="KernelFormat.Auto"/> looks at the file.</summary>
    [JsonPropertyName("format")]
    public KernelFormat Format { get; set; } = KernelFormat.Auto;

    /// <summary>Put in front of a Linux kernel's command line the parameters it needs on a host without hardware virtualization.</summary>
    [JsonPropertyName("host_workarounds")]
    public bool HostWorkarounds { get; set; } = true;
}
