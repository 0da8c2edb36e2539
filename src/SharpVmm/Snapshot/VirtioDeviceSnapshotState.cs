using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Devices.Virtio.RateLimiting;

namespace SharpVmm.Snapshot;

/// <summary>One virtio device in a snapshot: its transport's state, and the device's own where it keeps any.</summary>
public sealed record VirtioDeviceSnapshotState
{
    /// <summary>The device type (virtio 1.2, 5), checked on restore against the device built in its place.</summary>
    public string DeviceType { get; set; } = "";

    /// <summary>The PCI transport's state (config space, BARs, MSI-X, common configuration, queues); null over MMIO.</summary>
    public VirtioPciState? Pci { get; set; }

    /// <summary>The MMIO transport's state; null over PCI.</summary>
    public VirtioMmioState? Mmio { get; set; }

    /// <summary>virtio-net's own state (a frame caught mid-receive).</summary>
    public VirtioNetState? Net { get; set; }

    /// <summary>virtio-console's own state (input the guest has not received).</summary>
    public VirtioConsoleState? Console { get; set; }

    /// <summary>virtio-balloon's own state (target, size, statistics interval, the held statistics buffer).</summary>
    public VirtioBalloonState? Balloon { get; set; }

    /// <summary>The device's rate limiters' buckets (virtio-blk's, virtio-net's receive then transmit, virtio-rng's);
    /// null in snapshots from before they were saved, whose buckets restore full.</summary>
    public List<RateLimiterState>? RateLimiters { get; set; }
}
