namespace SharpVmm.Devices.Legacy;

// What the guest writes: controller commands to port 0x64, and data to port 0x60, which goes to the keyboard, the
// auxiliary port or the command waiting for it. Each returns whether the reset line was pulsed (the caller acts on it
// outside the lock).
public sealed partial class I8042Controller
{
    private bool WriteCommand(byte command)
    {
        _lastWriteWasCommand = true;
        _pendingCommand = 0;
        switch (command)
        {
            case >= CmdReadRamFirst and <= CmdReadRamLast:
                Push(_ram[command - CmdReadRamFirst], OutputSource.Controller);
                break;
            case >= CmdWriteRamFirst and <= CmdWriteRamLast:
            case CmdWriteOutputPort or CmdWriteKeyboardBuffer or CmdWriteAuxBuffer or CmdWriteAux:
                _pendingCommand = command;
                break;
            case CmdDisableAux:
                _ram[0] |= CtrAuxDisabled;
                break;
            case CmdEnableAux:
                _ram[0] &= unchecked((byte)~CtrAuxDisabled);
                break;
            case CmdAuxInterfaceTest or CmdKeyboardInterfaceTest:
                Push(InterfaceTestPassed, OutputSource.Controller);
                break;
            case CmdSelfTest:
                _ram[0] |= CtrSystemFlag;
                Push(SelfTestPassed, OutputSource.Controller);
                break;
            case CmdDisableKeyboard:
                _ram[0] |= CtrKeyboardDisabled;
                break;
            case CmdEnableKeyboard:
                _ram[0] &= unchecked((byte)~CtrKeyboardDisabled);
                break;
            case CmdReadInputPort:
                Push(0x80, OutputSource.Controller); // keyboard not inhibited, no jumpers
                break;
            case CmdReadOutputPort:
                Push(_outputPort, OutputSource.Controller);
                break;
            case CmdReadTestInputs:
                Push(0x00, OutputSource.Controller);
                break;
            case >= CmdPulseFirst:
                // Low nibble selects output-port lines to pulse low for 6 us; bit 0 is the reset line (0xFE).
                return (command & OutputPortReset) == 0;
            default:
                IgnoredGuestAccesses++;
                break;
        }

        return false;
    }

    private bool WriteData(byte value)
    {
        _lastWriteWasCommand = false;
        byte command = _pendingCommand;
        _pendingCommand = 0;
        switch (command)
        {
            case >= CmdWriteRamFirst and <= CmdWriteRamLast:
                _ram[command - CmdWriteRamFirst] = value;
                return false;
            case CmdWriteOutputPort:
                _outputPort = value;
                return (value & OutputPortReset) == 0; // the reset line is active low
            case CmdWriteKeyboardBuffer:
                Push(value, OutputSource.Keyboard, written: true);
                return false;
            case CmdWriteAuxBuffer:
                // The controller loads the byte into its output buffer itself, as if the mouse had sent it; no device
                // clocks it in, so a disabled aux interface does not hold it back. Linux's AUX loopback probe
                // (i8042_check_aux) relies on that: held back, its read waits 10 000 polls for nothing.
                Push(value, OutputSource.Aux, written: true);
                return false;
            case CmdWriteAux:
                // No mouse is attached: the controller times out and answers for it, so probes end at once.
                Push(AuxNoDevice, OutputSource.Aux, timeout: true);
                return false;
            default:
                // Sending to the keyboard re-enables its interface, as the 8042 does when it clocks the byte out.
                _ram[0] &= unchecked((byte)~CtrKeyboardDisabled);
                Span<byte> replies = stackalloc byte[Ps2Keyboard.MaxReplyLength];
                int length = _keyboard.Receive(value, (_ram[0] & CtrTranslate) != 0, replies);
                foreach (byte reply in replies[..length])
                {
                    Push(reply, OutputSource.Keyboard);
                }

                return false;
        }
    }
}
