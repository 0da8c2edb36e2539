using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Fuzz;

/// <summary>
/// The ACPI fixed-hardware registers as one 16-byte window, the way the I/O bus would route them: PM1 event block at
/// 0-3, PM1 control block at 4-5, PM timer at 8-11, reset register at 12. An access is handed whole to the register
/// block it starts in, at its offset there; 6-7 and 13-15 are unclaimed (reads float to 0xFF).
/// </summary>
public sealed class AcpiRegisterWindow(AcpiPm1EventBlock events, AcpiPm1ControlBlock control, AcpiPmTimer timer, AcpiResetRegister reset) : IBusDevice
{
    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        if (Route(offset) is (IBusDevice device, ulong at))
        {
            device.Read(at, data);
        }
        else
        {
            data.Fill(0xFF);
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (Route(offset) is (IBusDevice device, ulong at))
        {
            device.Write(at, data);
        }
    }

    private (IBusDevice Device, ulong Offset)? Route(ulong offset) => offset switch
    {
        < 4 => (events, offset),
        < 6 => (control, offset - 4),
        >= 8 and < 12 => (timer, offset - 8),
        12 => (reset, 0),
        _ => null,
    };
}
