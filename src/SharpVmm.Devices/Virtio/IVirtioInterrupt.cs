namespace SharpVmm.Devices.Virtio;

/// <summary>
/// How a device reaches its driver; implemented by the transport (an MSI-X vector, an INTx line plus the ISR
/// register, or the virtio-mmio InterruptStatus register plus a line). May be called from any thread.
/// </summary>
public interface IVirtioInterrupt
{
    /// <summary>
    /// A used buffer notification for queue <paramref name="queueIndex"/> (2.3.2). The device calls it only when
    /// the queue says the driver wants one (<c>VirtQueue.NeedsNotification</c>).
    /// </summary>
    void SignalUsedBuffers(int queueIndex);

    /// <summary>A configuration change notification (2.3.1): the config generation moves on and the driver is told.</summary>
    void SignalConfigChange();

    /// <summary>
    /// The device hit an error it cannot recover from (a malformed ring): sets DEVICE_NEEDS_RESET in the status and
    /// sends a configuration change notification (2.1.1).
    /// </summary>
    void SetNeedsReset();
}
