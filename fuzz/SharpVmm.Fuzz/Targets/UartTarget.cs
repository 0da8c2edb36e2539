using SharpVmm.Devices.Legacy;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// COM1's 16550A (<see cref="Uart8250"/>): port accesses at offsets 0-7, and host input arriving between them. The UART
/// lives for the whole process (its writer thread with it) and is put back in its power-on state before each input
/// through its own snapshot state.
/// </summary>
public sealed class UartTarget : IFuzzTarget
{
    private readonly CountingInterruptLine _irq = new();
    private readonly Uart8250 _uart;
    private readonly Uart8250State _powerOn;

    /// <summary>Creates the UART, writing to nowhere.</summary>
    public UartTarget()
    {
        _uart = new Uart8250(Stream.Null, _irq);
        _powerOn = _uart.SaveState();
    }

    /// <inheritdoc />
    public string Name => "uart";

    /// <inheritdoc />
    public string Description => "8250/16550A UART: port reads and writes at offsets 0-7, host input between them";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        _uart.RestoreState(_powerOn);
        var script = new AccessScript(input);
        byte[] received = new byte[16];
        BusDeviceDriver.Play(ref script, _uart, 8, 1, access =>
        {
            // Host input: as many bytes as the operation's upper bits say (a fixed pattern: the content matters little).
            for (int i = 0; i <= access.Extra; i++)
            {
                received[i] = (byte)(access.Offset + (ulong)i);
            }

            _uart.EnqueueInput(received.AsSpan(0, access.Extra + 1));
        });
    }
}
