namespace SharpVmm.Devices.Virtio.Net;

/// <summary>
/// Where a virtio-net device sends and receives frames (a TAP device, or a fake in tests). Every frame in either
/// direction starts with a 12-byte <c>virtio_net_hdr_v1</c> (<see cref="VirtioNetHeader"/>) that carries the offload
/// metadata. Reads and writes never block; a reader thread waits with <see cref="WaitReadable"/>.
/// </summary>
public interface INetworkBackend : IDisposable
{
    /// <summary>Enables the offloads the driver negotiated (<see cref="TapOffloads"/> bits), so the host hands the guest
    /// only frames it can take and accepts the partial checksums and large segments it sends.</summary>
    void SetOffloads(TapOffloads offloads);

    /// <summary>Reads one frame (header included) into <paramref name="buffer"/>; 0 if none is ready.</summary>
    int Read(Span<byte> buffer);

    /// <summary>Writes one frame (header included). False if the host dropped it (queue full).</summary>
    bool Write(ReadOnlySpan<byte> frame);

    /// <summary>Waits until a frame can be read (true), <paramref name="timeoutMs"/> passes or <see cref="Wake"/> is
    /// called (false). -1 waits for ever.</summary>
    bool WaitReadable(int timeoutMs);

    /// <summary>Makes a current or the next <see cref="WaitReadable"/> return false at once (to stop a reader thread).</summary>
    void Wake();
}
