using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>What a device gets when the driver sets DRIVER_OK: the guest's memory, the negotiated features, the queues the
/// driver programmed (one per <see cref="IVirtioDevice.QueueMaxSizes"/> entry; a queue that is not <c>Ready</c> is unused) and
/// the way back to the driver.</summary>
/// <param name="Memory">Guest memory, for the rings and buffers.</param>
/// <param name="Features">The features both sides accepted.</param>
/// <param name="Queues">The queue registers, indexed like <see cref="IVirtioDevice.QueueMaxSizes"/>.</param>
/// <param name="Interrupt">Notifications to the driver.</param>
public sealed record VirtioActivation(
    GuestMemory Memory,
    ulong Features,
    IReadOnlyList<VirtQueueConfig> Queues,
    IVirtioInterrupt Interrupt)
{
    /// <summary>
    /// For an activation that restores a snapshot (<see cref="VirtioTransportState.RestoreState"/>): where each queue
    /// continues, indexed like <see cref="Queues"/> (null for a queue the device did not use). Null for a driver's
    /// DRIVER_OK, where every queue starts at the beginning of its ring.
    /// </summary>
    public IReadOnlyList<VirtQueueState?>? RestoredQueues { get; init; }

    /// <summary>The device view of ready queue <paramref name="index"/>: at its restored position if there is one.</summary>
    public VirtQueue CreateQueue(int index) =>
        RestoredQueues is { } restored && index < restored.Count && restored[index] is { } state
            ? VirtQueue.FromState(Memory, Queues[index], Features, state)
            : new VirtQueue(Memory, Queues[index], Features);
}
