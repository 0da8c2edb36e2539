using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// Optional for an <see cref="IVirtioDevice"/>: the descriptor its own thread waits on for a queue's available buffer
/// notifications, so the VMM can register it with KVM as that queue's ioeventfd. A guest's notify write then wakes the
/// device thread directly (one hand-off), instead of going through a poller thread and <see cref="IVirtioDevice.Notify"/>.
/// </summary>
/// <remarks>
/// Signalling the handle (writing an 8-byte non-zero count, as KVM does) has the same effect as
/// <see cref="IVirtioDevice.Notify"/> for that queue, at any time: before DRIVER_OK, after a reset or for a queue the
/// driver did not enable it is harmless, because the device only looks at the queues it was activated with and
/// rechecks their rings whenever it wakes. Unlike the transport's path, such early or stray notifications are not
/// counted as ignored. Several queues may share one handle (one device thread serving them all).
/// </remarks>
public interface IVirtioNotificationSource
{
    /// <summary>
    /// The eventfd that stands for <see cref="IVirtioDevice.Notify"/>(<paramref name="queueIndex"/>), or null if that
    /// queue has none (the VMM then calls <see cref="IVirtioDevice.Notify"/>). Owned by the device, the same for its whole
    /// life, valid until it is disposed.
    /// </summary>
    SafeHandle? QueueNotificationHandle(int queueIndex);

    /// <summary>
    /// How many times the thread behind <see cref="QueueNotificationHandle"/>(<paramref name="queueIndex"/>) found nothing
    /// to do and went to sleep on that handle; 0 for a queue without one. Each time, the buffers the guest makes
    /// available after that are only seen once a notification wakes the thread. A diagnostic (how often a device went
    /// idle), and what a test waits for before it exercises the wake-up.
    /// </summary>
    long IdleWaits(int queueIndex);
}
