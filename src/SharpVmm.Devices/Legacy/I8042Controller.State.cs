namespace SharpVmm.Devices.Legacy;

// Saving and restoring the controller's guest-visible state (I8042ControllerState).
public sealed partial class I8042Controller
{
    private const string StateDevice = "i8042";

    /// <summary>The controller's and keyboard's guest-visible state: RAM, output port, pending command, output queue.</summary>
    public I8042ControllerState SaveState()
    {
        lock (_lock)
        {
            return new I8042ControllerState
            {
                Ram = [.. _ram],
                OutputPort = _outputPort,
                PendingCommand = _pendingCommand,
                LastRead = _lastRead,
                LastWriteWasCommand = _lastWriteWasCommand,
                Output = [.. _output.Select(b => new I8042OutputByteState { Value = b.Value, Source = (byte)b.Source, Timeout = b.Timeout, Written = b.Written })],
                Keyboard = _keyboard.SaveState(),
            };
        }
    }

    /// <summary>Puts the controller in <paramref name="state"/> and drives IRQ 1 and 12 to match. Call before the vCPUs run.</summary>
    /// <exception cref="DeviceStateException">A field is out of range; nothing is changed then.</exception>
    public void RestoreState(I8042ControllerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] ram = DeviceStateException.Present(state.Ram, StateDevice, nameof(state.Ram));
        List<I8042OutputByteState> output = DeviceStateException.Present(state.Output, StateDevice, nameof(state.Output));
        Ps2KeyboardState keyboard = DeviceStateException.Present(state.Keyboard, StateDevice, nameof(state.Keyboard));
        DeviceStateException.Require(ram.Length == _ram.Length, StateDevice, nameof(state.Ram), $"is not {_ram.Length} bytes");
        DeviceStateException.Require(state.PendingCommand is 0 or (>= CmdWriteRamFirst and <= CmdWriteRamLast)
            or CmdWriteOutputPort or CmdWriteKeyboardBuffer or CmdWriteAuxBuffer or CmdWriteAux,
            StateDevice, nameof(state.PendingCommand), "is not a command that takes a parameter");
        DeviceStateException.Require(output.Count <= OutputBufferDepth, StateDevice, nameof(state.Output), $"holds more than {OutputBufferDepth} bytes");
        for (int i = 0; i < output.Count; i++)
        {
            DeviceStateException.Require(output[i] is { Source: <= I8042OutputByteState.FromAux }, StateDevice,
                $"{nameof(state.Output)}[{i}].{nameof(I8042OutputByteState.Source)}", "is missing or not 0, 1 or 2");
        }

        Ps2Keyboard.Validate(keyboard, StateDevice);
        lock (_lock)
        {
            ram.CopyTo(_ram, 0);
            (_outputPort, _pendingCommand, _lastRead, _lastWriteWasCommand) =
                (state.OutputPort, state.PendingCommand, state.LastRead, state.LastWriteWasCommand);
            _output.Clear();
            _output.AddRange(output.Select(b => new OutputByte(b.Value, (OutputSource)b.Source, b.Timeout, b.Written)));
            _keyboard.Apply(keyboard);
            UpdateInterrupts();
        }
    }
}
