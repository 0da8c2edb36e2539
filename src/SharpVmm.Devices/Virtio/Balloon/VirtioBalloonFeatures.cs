namespace SharpVmm.Devices.Virtio.Balloon;

/// <summary>The virtio-balloon feature bits SharpVmm offers (virtio 1.2, 5.5.3).</summary>
public static class VirtioBalloonFeatures
{
    /// <summary>VIRTIO_BALLOON_F_MUST_TELL_HOST (bit 0): the driver tells the host before it uses deflated pages. Not offered.</summary>
    public const ulong MustTellHost = 1UL << 0;

    /// <summary>VIRTIO_BALLOON_F_STATS_VQ (bit 1): a statistics queue (queue 2) is present.</summary>
    public const ulong StatsQueue = 1UL << 1;

    /// <summary>VIRTIO_BALLOON_F_DEFLATE_ON_OOM (bit 2): the driver deflates the balloon when the guest runs out of memory.</summary>
    public const ulong DeflateOnOom = 1UL << 2;
}
