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
    IVirtioInterrupt Interrupt);
