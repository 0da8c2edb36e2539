using System.Text.Json.Serialization;
using SharpVmm.Devices.Virtio.Vsock;

namespace SharpVmm.Configuration;

/// <summary>
/// A virtio-vsock device with Firecracker's hybrid host side (Firecracker's <c>vsock</c>): host processes connect to the
/// Unix socket <see cref="UdsPath"/> and write <c>CONNECT &lt;port&gt;\n</c>; guest connections to host port P go to
/// <c>UdsPath_P</c>.
/// </summary>
public sealed record VsockConfig
{
    /// <summary>The longest <see cref="UdsPath"/>: sun_path holds 108 bytes with its terminating NUL.</summary>
    public const int MaxUdsPathBytes = 107;

    /// <summary>Firecracker's (deprecated) device name; kept and shown, never used.</summary>
    [JsonPropertyName("vsock_id")]
    public string? VsockId { get; set; }

    /// <summary>The guest's context ID: 3 or more (0 to 2 are reserved), below 2^32 - 1.</summary>
    [JsonPropertyName("guest_cid")]
    public uint GuestCid { get; set; }

    /// <summary>The Unix socket the VMM listens on; it must not exist when the VM starts (Firecracker's rule).</summary>
    [JsonPropertyName("uds_path")]
    public string UdsPath { get; set; } = "";

    /// <summary>Creates the device, listening on <see cref="UdsPath"/>.</summary>
    /// <exception cref="VmConfigurationException">The path exists already or the socket cannot be made (field <c>vsock.uds_path</c>).</exception>
    internal VirtioVsockDevice OpenDevice()
    {
        try
        {
            return new VirtioVsockDevice(GuestCid, UdsPath);
        }
        catch (IOException ex)
        {
            throw new VmConfigurationException("vsock.uds_path", ex.Message, ex);
        }
    }
}
