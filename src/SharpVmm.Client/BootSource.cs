using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /boot-source</c>: the guest kernel, its initrd and its command line.</summary>
public sealed record BootSource
{
    /// <summary>The kernel image on the VMM's host.</summary>
    [JsonPropertyName("kernel_image_path")]
    public required string KernelImagePath { get; init; }

    /// <summary>An initrd on the VMM's host, or null for none.</summary>
    [JsonPropertyName("initrd_path")]
    public string? InitrdPath { get; init; }

    /// <summary>The kernel command line, or null for the VMM's default.</summary>
    [JsonPropertyName("boot_args")]
    public string? BootArgs { get; init; }
}
