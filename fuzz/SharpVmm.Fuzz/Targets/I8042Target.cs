using SharpVmm.Devices.Legacy;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// The i8042 keyboard controller (<see cref="I8042Controller"/>) with its PS/2 keyboard: accesses at offsets 0-7 (0 is
/// the data port 0x60, 4 the status/command port 0x64), and scan codes from the host between them.
/// </summary>
public sealed class I8042Target : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "i8042";

    /// <inheritdoc />
    public string Description => "i8042 controller and PS/2 keyboard: data/command port accesses, host scan codes between them";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        long resets = 0;
        var controller = new I8042Controller(new CountingInterruptLine(), new CountingInterruptLine(), () => resets++);
        var script = new AccessScript(input);
        byte[] scanCodes = new byte[16];
        BusDeviceDriver.Play(ref script, controller, 8, 1, access =>
        {
            for (int i = 0; i <= access.Extra; i++)
            {
                scanCodes[i] = (byte)(access.Offset * 31 + (ulong)i);
            }

            controller.EnqueueKeyboardData(scanCodes.AsSpan(0, access.Extra + 1));
        });
    }
}
