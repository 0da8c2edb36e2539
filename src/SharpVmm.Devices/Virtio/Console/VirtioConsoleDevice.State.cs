namespace SharpVmm.Devices.Virtio.Console;

// Saving and restoring the console's pending input (VirtioConsoleState) and its queue positions.
public sealed partial class VirtioConsoleDevice
{
    /// <inheritdoc />
    public IReadOnlyList<VirtQueueState?> SaveQueueStates() => [_rx?.Queue.SaveState(), _tx?.Queue.SaveState()];

    /// <summary>The host input not yet delivered. Call while paused.</summary>
    public VirtioConsoleState SaveState()
    {
        lock (_inputLock)
        {
            return new VirtioConsoleState { PendingInput = [.. _input] };
        }
    }

    /// <summary>Puts the pending input back; it reaches the guest once the device runs and the guest posts buffers.</summary>
    /// <exception cref="DeviceStateException">More input than <see cref="InputBufferSize"/>; nothing is changed then.</exception>
    public void RestoreState(VirtioConsoleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] input = DeviceStateException.Present(state.PendingInput, "virtio-console", nameof(state.PendingInput));
        DeviceStateException.Require(input.Length <= InputBufferSize, "virtio-console", nameof(state.PendingInput),
            $"holds more than {InputBufferSize} bytes");
        lock (_inputLock)
        {
            _input.Clear();
            foreach (byte b in input)
            {
                _input.Enqueue(b);
            }
        }
    }
}
