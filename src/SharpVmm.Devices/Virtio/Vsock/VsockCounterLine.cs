namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>The one-line summary of a <see cref="VirtioVsockDevice"/>'s counters that a run prints at its end.</summary>
public static class VsockCounterLine
{
    /// <summary><c>vsock: N packets (B bytes) from the guest, ...</c>.</summary>
    public static string Describe(VirtioVsockDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return $"vsock: {device.TxPackets} packets ({device.TxBytes} bytes) from the guest, {device.RxPackets} packets ({device.RxBytes} bytes) to it, " +
            $"{device.ConnectionsOpened} connections, {device.ResetsSent} resets sent, {device.MalformedPackets} malformed";
    }
}
