namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>
/// A packet without payload waiting for an rx buffer: its ports (host side first), op and flags. Its credit fields are
/// filled in when it is delivered, from the connection as it is then.
/// </summary>
internal readonly record struct VsockControlPacket(uint LocalPort, uint PeerPort, VsockOp Op, uint Flags = 0);
