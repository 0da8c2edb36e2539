namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>Where a <see cref="VsockConnection"/> is in its life.</summary>
internal enum VsockConnectionState
{
    /// <summary>A host process connected to the listening socket and has not finished its <c>CONNECT &lt;port&gt;\n</c> line.</summary>
    AwaitingConnectLine,

    /// <summary>The device sent the guest a REQUEST for a host process and waits for RESPONSE or RST.</summary>
    RequestSent,

    /// <summary>Both sides may send data.</summary>
    Established,

    /// <summary>One side closed: the device sent SHUTDOWN (or got the guest's) and waits for the connection to end.</summary>
    Closing,
}
