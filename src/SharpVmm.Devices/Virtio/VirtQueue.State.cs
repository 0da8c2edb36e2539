using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

// Saving a queue's positions and recreating it from them (VirtQueueState).
public sealed partial class VirtQueue
{
    /// <summary>The device's positions in the ring. Call while the queue's worker is paused.</summary>
    public VirtQueueState SaveState() => new()
    {
        LastAvailIndex = _lastAvailIdx,
        UsedIndex = _usedIdx,
        UsedIndexAtLastCheck = _usedIdxAtLastCheck,
        BrokenReason = BrokenReason,
        ChainsPopped = ChainsPopped,
    };

    /// <summary>
    /// The device view of a queue the driver programmed in <paramref name="config"/>, continuing from
    /// <paramref name="state"/> rather than from the ring's start. The ring placement is checked as by the constructor.
    /// </summary>
    /// <exception cref="DeviceStateException">The positions cannot belong to a queue of this size
    /// (<see cref="ValidateState"/>).</exception>
    public static VirtQueue FromState(GuestMemory memory, VirtQueueConfig config, ulong negotiatedFeatures, VirtQueueState state)
    {
        ArgumentNullException.ThrowIfNull(config);
        ValidateState(state, config.Size, "virtqueue", "state");
        var queue = new VirtQueue(memory, config, negotiatedFeatures)
        {
            _lastAvailIdx = state.LastAvailIndex,
            _usedIdx = state.UsedIndex,
            _usedIdxAtLastCheck = state.UsedIndexAtLastCheck,
            ChainsPopped = state.ChainsPopped,
        };
        if (state.BrokenReason is { } reason)
        {
            queue.MarkBroken(reason);
        }

        return queue;
    }

    /// <summary>
    /// Checks that <paramref name="state"/> can be a queue of <paramref name="size"/> entries: at most
    /// <paramref name="size"/> chains in flight (popped, not yet used), and at most that many used entries since the last
    /// notification check.
    /// </summary>
    /// <exception cref="DeviceStateException">It cannot; the message names <paramref name="device"/> and <paramref name="field"/>.</exception>
    public static void ValidateState(VirtQueueState state, ushort size, string device, string field)
    {
        ArgumentNullException.ThrowIfNull(state);
        DeviceStateException.Require((ushort)(state.LastAvailIndex - state.UsedIndex) <= size, device, field,
            $"has {(ushort)(state.LastAvailIndex - state.UsedIndex)} chains in flight in a queue of {size}");
        DeviceStateException.Require((ushort)(state.UsedIndex - state.UsedIndexAtLastCheck) <= size, device, field,
            $"has used.idx {state.UsedIndex} more than {size} past the last notification check {state.UsedIndexAtLastCheck}");
        DeviceStateException.Require(state.ChainsPopped >= 0, device, field, "has a negative chain count");
    }

    /// <summary>
    /// Takes again the chain at <paramref name="head"/> that the device had popped before a snapshot and not yet
    /// returned. False, and the queue broken, when the chain is malformed now.
    /// </summary>
    internal bool TryRetake(ushort head, out DescriptorChain chain)
    {
        chain = null!;
        if (IsBroken)
        {
            return false;
        }

        string? problem = ParseChain(head, out chain);
        return problem is null || MarkBroken($"in-flight chain at head {head}: {problem}");
    }
}
