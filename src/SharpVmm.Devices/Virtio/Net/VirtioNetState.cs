namespace SharpVmm.Devices.Virtio.Net;

/// <summary>
/// The runtime state of a <see cref="VirtioNetDevice"/> beyond its transport and queue positions
/// (<see cref="VirtioNetDevice.SaveState"/>): a frame read from the back-end that was waiting for enough receive
/// buffers, and the receive chains already taken for it. The transmit side keeps nothing between requests.
/// </summary>
public sealed record VirtioNetState
{
    /// <summary>The waiting frame, virtio-net header included; empty when none waits.</summary>
    public byte[] PendingFrame { get; set; } = [];

    /// <summary>Head indices of the receive chains popped for <see cref="PendingFrame"/> and not yet returned, in order.</summary>
    public int[] GatheredReceiveHeads { get; set; } = [];
}
