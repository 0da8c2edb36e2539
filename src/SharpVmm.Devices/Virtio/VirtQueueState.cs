namespace SharpVmm.Devices.Virtio;

/// <summary>
/// Where the device stands in one split virtqueue (<see cref="VirtQueue.SaveState"/>): the ring itself lives in guest
/// memory, so these positions are all a restored queue needs to continue (<see cref="VirtQueue.FromState"/>).
/// </summary>
public sealed record VirtQueueState
{
    /// <summary>The next available ring entry the device will read.</summary>
    public ushort LastAvailIndex { get; set; }

    /// <summary>The next used ring entry the device will write (used.idx as published).</summary>
    public ushort UsedIndex { get; set; }

    /// <summary>used.idx when the device last decided whether to notify the driver.</summary>
    public ushort UsedIndexAtLastCheck { get; set; }

    /// <summary>Why the queue is broken (it stays unusable until the driver resets the device); null while healthy.</summary>
    public string? BrokenReason { get; set; }

    /// <summary>Chains popped so far (a statistic).</summary>
    public long ChainsPopped { get; set; }
}
