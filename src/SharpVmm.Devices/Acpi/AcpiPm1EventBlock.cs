using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Acpi;

/// <summary>
/// The PM1a event register block (ACPI 6.4 section 4.8.3.1, PM1a_EVT_BLK): the 16-bit PM1 status register at offset
/// <see cref="StatusOffset"/> (write 1 to clear a bit) and the 16-bit PM1 enable register at offset
/// <see cref="EnableOffset"/>. The system control interrupt is driven high while an enabled status bit is set. The
/// machine raises two events: the fixed power button (<see cref="PressPowerButton"/>) and the wake from S3
/// (<see cref="WakeFromSleep"/>, by the RTC alarm when the guest set RTC_EN).
/// </summary>
public sealed class AcpiPm1EventBlock : IBusDevice
{
    /// <summary>Number of I/O ports the block decodes (PM1_EVT_LEN): status, then enable.</summary>
    public const int BlockLength = 4;

    /// <summary>Offset of PM1_STS.</summary>
    public const int StatusOffset = 0;

    /// <summary>Offset of PM1_EN.</summary>
    public const int EnableOffset = 2;

    /// <summary>PM1_STS.PWRBTN_STS: the power button was pressed (ACPI 6.4 table 4.16).</summary>
    public const ushort PowerButtonStatus = 1 << 8;

    /// <summary>PM1_EN.PWRBTN_EN: a power-button press raises the SCI (ACPI 6.4 table 4.17).</summary>
    public const ushort PowerButtonEnable = 1 << 8;

    /// <summary>PM1_STS.RTC_STS: the RTC alarm fired (ACPI 6.4 table 4.16).</summary>
    public const ushort RtcStatus = 1 << 10;

    /// <summary>PM1_EN.RTC_EN: the RTC alarm raises the SCI, and wakes the machine from a sleep state (table 4.17).</summary>
    public const ushort RtcEnable = 1 << 10;

    /// <summary>PM1_STS.WAK_STS: the machine woke from a sleep state (ACPI 6.4 table 4.16).</summary>
    public const ushort WakeStatus = 1 << 15;

    // PM1_STS bits (ACPI 6.4 table 4.16): TMR_STS, BM_STS, GBL_STS, PWRBTN_STS, SLPBTN_STS, RTC_STS, PCIEXP_WAKE_STS,
    // WAK_STS. All are write-1-to-clear.
    private const ushort StatusMask = (1 << 0) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 14) | (1 << 15);

    // PM1_EN bits (ACPI 6.4 table 4.17): TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS.
    private const ushort EnableMask = (1 << 0) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 14);

    // Status bits whose enable bit (same position) makes them raise the SCI; PCIEXP_WAKE_DIS is a disable bit.
    private const ushort SciSources = (1 << 0) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 10);

    private readonly Lock _lock = new();
    private readonly IInterruptLine _sci;
    private ushort _status;
    private ushort _enable;
    private bool _sciHigh;

    /// <summary>Creates the block; <paramref name="sci"/> is the system control interrupt (the FADT's SCI_INT).</summary>
    public AcpiPm1EventBlock(IInterruptLine sci)
    {
        ArgumentNullException.ThrowIfNull(sci);
        _sci = sci;
    }

    /// <summary>PM1_STS as the guest would read it.</summary>
    public ushort Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>PM1_EN as the guest last wrote it.</summary>
    public ushort Enable
    {
        get
        {
            lock (_lock)
            {
                return _enable;
            }
        }
    }

    /// <summary>
    /// Presses the fixed-feature power button: sets PWRBTN_STS and, if the guest enabled PWRBTN_EN, raises the SCI.
    /// An operating system answers with an orderly shutdown. Callable from any thread.
    /// </summary>
    public void PressPowerButton()
    {
        lock (_lock)
        {
            _status |= PowerButtonStatus;
            UpdateSci();
        }
    }

    /// <summary>Whether the guest enabled the RTC alarm as a wake event (PM1_EN.RTC_EN).</summary>
    public bool RtcWakeEnabled => (Enable & RtcEnable) != 0;

    /// <summary>
    /// Records a wake from a sleep state as QEMU's does: the machine reset clears both registers, then WAK_STS and
    /// <paramref name="reasonStatus"/> (for the RTC alarm <see cref="RtcStatus"/>) are set. With PM1_EN clear the SCI
    /// stays low; the woken operating system reads the bits and clears them.
    /// </summary>
    public void WakeFromSleep(ushort reasonStatus)
    {
        lock (_lock)
        {
            _enable = 0;
            _status = (ushort)((WakeStatus | reasonStatus) & StatusMask);
            UpdateSci();
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            uint registers = _status | ((uint)_enable << 16);
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                data[i] = at < BlockLength ? (byte)(registers >> (int)(at * 8)) : (byte)0xFF;
            }
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                if (at >= BlockLength)
                {
                    break;
                }

                int shift = (int)(at % 2) * 8;
                if (at < EnableOffset)
                {
                    _status &= (ushort)~(data[i] << shift);
                }
                else
                {
                    int merged = (_enable & ~(0xFF << shift)) | (data[i] << shift);
                    _enable = (ushort)(merged & EnableMask);
                }
            }

            UpdateSci();
        }
    }

    /// <summary>PM1_STS and PM1_EN.</summary>
    public AcpiPm1EventState SaveState()
    {
        lock (_lock)
        {
            return new AcpiPm1EventState { Status = _status, Enable = _enable };
        }
    }

    /// <summary>Puts the registers in <paramref name="state"/> and drives the SCI to match. Call before the vCPUs run.</summary>
    /// <exception cref="DeviceStateException">A register has bits the block does not implement; nothing is changed then.</exception>
    public void RestoreState(AcpiPm1EventState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        DeviceStateException.Require((state.Status & ~StatusMask) == 0, "acpi-pm1-event", nameof(state.Status), "has bits PM1_STS does not define");
        DeviceStateException.Require((state.Enable & ~EnableMask) == 0, "acpi-pm1-event", nameof(state.Enable), "has bits PM1_EN does not define");
        lock (_lock)
        {
            _status = state.Status;
            _enable = state.Enable;
            UpdateSci();
        }
    }

    private void UpdateSci()
    {
        bool high = (_status & _enable & SciSources & StatusMask) != 0;
        if (high != _sciHigh)
        {
            _sciHigh = high;
            _sci.SetLevel(high);
        }
    }
}
