namespace SharpVmm.Devices.Virtio.Balloon;

/// <summary>
/// The runtime state of a <see cref="VirtioBalloonDevice"/> beyond its transport and queue positions
/// (<see cref="VirtioBalloonDevice.SaveState"/>).
/// </summary>
public sealed record VirtioBalloonState
{
    /// <summary>The target, in 4 KiB pages (the configuration's <c>num_pages</c>).</summary>
    public uint TargetPages { get; set; }

    /// <summary>The pages the driver last said it holds (the configuration's <c>actual</c>).</summary>
    public uint ActualPages { get; set; }

    /// <summary>Seconds between statistics requests; 0 when the device has no statistics queue.</summary>
    public int StatsPollingIntervalSeconds { get; set; }

    /// <summary>Head index of the statistics buffer the device held (popped, not yet returned); -1 for none.</summary>
    public int HeldStatsHead { get; set; } = -1;
}
