using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Acpi;

/// <summary>
/// The register the FADT names as RESET_REG (ACPI 6.4 section 4.8.3.6): one byte-wide I/O port; writing the FADT's
/// RESET_VALUE to it resets the machine through the injected callback. Other values are ignored (and counted), and
/// reads return 0, as the register holds no state.
/// </summary>
public sealed class AcpiResetRegister : IBusDevice
{
    /// <summary>Number of I/O ports the register decodes (the FADT describes it as 8 bits wide).</summary>
    public const int BlockLength = 1;

    private readonly byte _resetValue;
    private readonly Action _resetRequested;
    private long _ignoredWrites;

    /// <summary>Creates the register; writing <paramref name="resetValue"/> calls <paramref name="resetRequested"/>.</summary>
    public AcpiResetRegister(byte resetValue, Action resetRequested)
    {
        ArgumentNullException.ThrowIfNull(resetRequested);
        _resetValue = resetValue;
        _resetRequested = resetRequested;
    }

    /// <summary>Writes of any value other than the reset value.</summary>
    public long IgnoredWrites => Interlocked.Read(ref _ignoredWrites);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data) => data.Clear();

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        // A wider write puts its low byte on the register's port.
        if (offset == 0 && data[0] == _resetValue)
        {
            _resetRequested();
        }
        else
        {
            Interlocked.Increment(ref _ignoredWrites);
        }
    }
}
