namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>The <c>flags</c> of a SHUTDOWN packet (virtio 1.2, 5.10.6.5).</summary>
[Flags]
public enum VsockShutdownFlags : uint
{
    /// <summary>No direction.</summary>
    None = 0,

    /// <summary>VIRTIO_VSOCK_SHUTDOWN_RCV: the sender will receive no more data.</summary>
    Receive = 1,

    /// <summary>VIRTIO_VSOCK_SHUTDOWN_SEND: the sender will send no more data.</summary>
    Send = 2,

    /// <summary>Both directions.</summary>
    Both = Receive | Send,
}
