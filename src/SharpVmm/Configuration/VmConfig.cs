using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>
/// A whole VM as plain data: what <see cref="MicroVm.Create"/> builds, what <c>sharpvmm boot --config-file</c> reads
/// and <c>--print-config</c> writes. The JSON names follow Firecracker's configuration file (<c>boot-source</c>,
/// <c>machine-config</c>, <c>drives</c>, <c>network-interfaces</c>, <c>entropy</c>), so such a file for a Linux guest
/// reads here too; SharpVmm's own additions (the virtio transport, ACPI, the console, raw guests) sit beside them.
/// </summary>
public sealed record VmConfig
{
    /// <summary>vCPUs, memory and the machine's firmware and buses.</summary>
    [JsonPropertyName("machine-config")]
    public MachineConfig Machine { get; set; } = new();

    /// <summary>The kernel to boot; exactly one of this and <see cref="RawGuest"/> is set.</summary>
    [JsonPropertyName("boot-source")]
    public BootSourceConfig? BootSource { get; set; }

    /// <summary>A raw binary image run from a chosen CPU state (<c>sharpvmm run</c>) instead of a kernel.</summary>
    [JsonPropertyName("raw-guest")]
    public RawGuestConfig? RawGuest { get; set; }

    /// <summary>virtio-blk disks: /dev/vda, /dev/vdb, ... in this order, a root device first.</summary>
    [JsonPropertyName("drives")]
    public IReadOnlyList<DriveConfig> Drives { get; set; } = [];

    /// <summary>virtio-net cards, each on a host TAP interface.</summary>
    [JsonPropertyName("network-interfaces")]
    public IReadOnlyList<NetworkInterfaceConfig> NetworkInterfaces { get; set; } = [];

    /// <summary>A virtio-rng device fed from the host's getrandom(2); null for none.</summary>
    [JsonPropertyName("entropy")]
    public EntropyConfig? Entropy { get; set; }

    /// <summary>A virtio-balloon device; null for none.</summary>
    [JsonPropertyName("balloon")]
    public BalloonConfig? Balloon { get; set; }

    /// <summary>A virtio-vsock device on Unix sockets (Firecracker's hybrid model); null for none.</summary>
    [JsonPropertyName("vsock")]
    public VsockConfig? Vsock { get; set; }

    /// <summary>Where the guest's console is.</summary>
    [JsonPropertyName("console")]
    public ConsoleConfig Console { get; set; } = new();

    /// <summary>
    /// Checks every field, and with <paramref name="checkHostResources"/> that the files it names exist: the first
    /// mistake is thrown as a <see cref="VmConfigurationException"/> naming the field (e.g. <c>drives[1].path_on_host</c>).
    /// </summary>
    /// <param name="checkHostResources">Check that the files named exist.</param>
    /// <param name="requireBootSource">Require a kernel or raw image (false while a VM is still being described, as through the API).</param>
    public void Validate(bool checkHostResources = true, bool requireBootSource = true) =>
        VmConfigValidator.Validate(this, checkHostResources, requireBootSource);

    /// <summary>The drives in the order the guest sees them: the root device first (/dev/vda), the rest as listed.</summary>
    public IReadOnlyList<DriveConfig> DrivesInGuestOrder() =>
        [.. Drives.Where(d => d.IsRootDevice), .. Drives.Where(d => !d.IsRootDevice)];

    /// <summary>How many virtio devices this VM has (disks, cards, the entropy device, the balloon, the vsock device, a virtio console).</summary>
    public int VirtioDeviceCount =>
        Drives.Count + NetworkInterfaces.Count + (Entropy is null ? 0 : 1) + (Balloon is null ? 0 : 1) + (Vsock is null ? 0 : 1)
        + (Console.Kind == ConsoleKind.Virtio ? 1 : 0);
}
