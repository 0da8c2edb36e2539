namespace SharpVmm.Devices.Virtio.Net;

// Saving and restoring the receive path's in-flight frame (VirtioNetState) and the queue positions.
public sealed partial class VirtioNetDevice
{
    private VirtioNetState? _restoredReceive;

    /// <inheritdoc />
    public IReadOnlyList<VirtQueueState?> SaveQueueStates()
    {
        lock (_lifecycle)
        {
            return [_rx?.Queue.SaveState(), _tx?.Queue.SaveState()];
        }
    }

    /// <summary>The frame waiting for receive buffers and the chains taken for it. Call while paused.</summary>
    public VirtioNetState SaveState()
    {
        lock (_lifecycle)
        {
            return new VirtioNetState
            {
                PendingFrame = _rxFrame.AsSpan(0, _pending).ToArray(),
                GatheredReceiveHeads = [.. _gathered.Select(c => (int)c.HeadIndex)],
            };
        }
    }

    /// <summary>
    /// Keeps <paramref name="state"/> for the activation that restores the transport
    /// (<see cref="VirtioTransportState.RestoreState"/>): call this first, before the transport's restore. The gathered
    /// chains are taken again from the receive ring then, and the frame is delivered once the guest has posted enough.
    /// </summary>
    /// <exception cref="DeviceStateException">The frame is shorter than a header or longer than
    /// <see cref="MaxFrameSize"/>, or a head index is out of range; nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The device is already running.</exception>
    public void RestoreState(VirtioNetState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string Device = "virtio-net";
        byte[] frame = DeviceStateException.Present(state.PendingFrame, Device, nameof(state.PendingFrame));
        int[] heads = DeviceStateException.Present(state.GatheredReceiveHeads, Device, nameof(state.GatheredReceiveHeads));
        DeviceStateException.Require(frame.Length is 0 or (>= VirtioNetHeader.Size and <= MaxFrameSize), Device, nameof(state.PendingFrame),
            $"of {frame.Length} bytes is not a frame with its header of at most {MaxFrameSize} bytes");
        DeviceStateException.Require(heads.Length <= _queueSize && (heads.Length == 0 || frame.Length > 0), Device,
            nameof(state.GatheredReceiveHeads), "holds more chains than the queue, or chains without a frame");
        DeviceStateException.Require(heads.All(h => h >= 0 && h < _queueSize), Device, nameof(state.GatheredReceiveHeads),
            $"names a descriptor outside a queue of {_queueSize}");
        lock (_lifecycle)
        {
            if (_rx is not null || _tx is not null)
            {
                throw new InvalidOperationException("virtio-net: a state is restored before the device is activated");
            }

            _restoredReceive = state with { PendingFrame = [.. frame], GatheredReceiveHeads = [.. heads] };
        }
    }

    // Under _lifecycle, in Activate: a restoring activation takes the saved in-flight receive chains again.
    private void RetakeRestoredReceive(VirtioActivation activation)
    {
        VirtioNetState? restored = _restoredReceive;
        _restoredReceive = null;
        if (restored is null || activation.RestoredQueues is null || _rx is not { } rx || restored.PendingFrame.Length == 0)
        {
            return;
        }

        restored.PendingFrame.CopyTo(_rxFrame, 0);
        _pending = restored.PendingFrame.Length;
        _pendingPaid = false;
        foreach (int head in restored.GatheredReceiveHeads)
        {
            if (!rx.Queue.TryRetake((ushort)head, out DescriptorChain chain))
            {
                _gathered.Clear(); // the ring is broken now: the worker reports it
                return;
            }

            _gathered.Add(chain);
        }
    }
}
