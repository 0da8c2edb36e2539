using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Testing;

/// <summary>
/// The interrupt-line ports of QEMU's <c>pc-testdev</c> (24 ports at 0x2000): a write of V to port offset n drives line
/// n high when V is non-zero and low when it is zero, so a test can raise, hold and lower an interrupt at will.
/// </summary>
/// <remarks>
/// QEMU accepts only 1-byte accesses here and cuts wider ones into bytes, lowest port first; this device does the
/// same, so a 2-byte write sets two neighbouring lines. Reads return 0. QEMU's line n is ISA IRQ n and it aborts on a
/// write to lines 16-23 (the ISA bus has 16); here lines 16-23 are whatever the caller wires (the platform gives them
/// the IOAPIC's pins 16-23). Bytes past the last port read as all ones and their writes are dropped.
/// </remarks>
public sealed class TestIrqLinePorts : IBusDevice
{
    /// <summary>Ports the device decodes, one per line.</summary>
    public const ushort PortCount = 24;

    private readonly IReadOnlyList<IInterruptLine> _lines;

    /// <summary>Creates the ports; <paramref name="lines"/> has one line per port, line n at offset n.</summary>
    public TestIrqLinePorts(IReadOnlyList<IInterruptLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (lines.Count != PortCount)
        {
            throw new ArgumentException($"the device drives {PortCount} lines, not {lines.Count}", nameof(lines));
        }

        _lines = lines;
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = offset + (ulong)i < PortCount ? (byte)0 : (byte)0xFF;
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            ulong line = offset + (ulong)i;
            if (line < PortCount)
            {
                _lines[(int)line].SetLevel(data[i] != 0);
            }
        }
    }
}
