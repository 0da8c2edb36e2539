using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// The ACPI fixed-hardware registers: the PM1 event block (offsets 0-3), the PM1 control block (4-5), the PM timer
/// (8-11) and the reset register (12), as one 16-byte window, on a clock the input moves. Between accesses the power
/// button is pressed, the machine wakes from sleep, or time passes.
/// </summary>
public sealed class AcpiPmTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "acpi-pm";

    /// <inheritdoc />
    public string Description => "ACPI PM1 event/control blocks, PM timer and reset register: accesses, power button, wake, time passing";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var events = new AcpiPm1EventBlock(new CountingInterruptLine());
        var control = new AcpiPm1ControlBlock(5, () => { }, 3, () => { });
        var timer = new AcpiPmTimer(clock);
        var reset = new AcpiResetRegister(0x0E, () => { });
        var window = new AcpiRegisterWindow(events, control, timer, reset);
        var script = new AccessScript(input);
        BusDeviceDriver.Play(ref script, window, 16, 1, access =>
        {
            switch (access.Extra & 3)
            {
                case 0:
                    events.PressPowerButton();
                    break;
                case 1:
                    events.WakeFromSleep((ushort)(1 << (int)(access.Offset & 15)));
                    control.ResetAfterWake();
                    break;
                default:
                    clock.Advance(TimeSpan.FromTicks((long)(access.Offset + 1) << (access.Extra * 3)));
                    break;
            }
        });
    }
}
