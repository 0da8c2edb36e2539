namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A virtio device whose queue positions can be saved, so that its transport can save an active device and restore it
/// (<see cref="VirtioTransportState.SaveState"/>). The device takes the positions back through
/// <see cref="VirtioActivation.RestoredQueues"/> when the restored transport activates it.
/// </summary>
public interface IVirtioQueueStateSource
{
    /// <summary>
    /// Each queue's positions, indexed like <see cref="IVirtioDevice.QueueMaxSizes"/>; null for a queue the device is
    /// not serving. Called only while the device is paused (<see cref="IPausable.Pause"/>) or its worker not running.
    /// </summary>
    IReadOnlyList<VirtQueueState?> SaveQueueStates();
}
