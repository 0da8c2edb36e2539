using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Acpi;

/// <summary>
/// The PM1a control register (ACPI 6.4 section 4.8.3.2, PM1a_CNT_BLK): 16 bits with SCI_EN, BM_RLD, GBL_RLS, SLP_TYPx and
/// SLP_EN (table 4.18). Writing SLP_EN with SLP_TYPx equal to the DSDT's <c>\_S5</c> value powers the machine off
/// through the injected callback, and with the <c>\_S3</c> value (when the machine offers S3) suspends it through
/// another; requests for sleep states the DSDT does not offer are ignored (and counted). SCI_EN always reads as 1:
/// there is no SMM, so the machine is in ACPI mode from power-on. As in QEMU, SLP_TYPx keeps the value written.
/// </summary>
public sealed class AcpiPm1ControlBlock : IBusDevice
{
    /// <summary>Number of I/O ports the register decodes (PM1_CNT_LEN).</summary>
    public const int BlockLength = 2;

    /// <summary>SCI_EN: the power-management events raise the SCI, not an SMI (read-only 1 here).</summary>
    public const ushort SciEnable = 1 << 0;

    /// <summary>Bit position of the 3-bit SLP_TYPx field.</summary>
    public const int SleepTypeShift = 10;

    /// <summary>SLP_EN: write 1 to enter the sleep state in SLP_TYPx; reads as 0.</summary>
    public const ushort SleepEnable = 1 << 13;

    // BM_RLD (bit 1) is kept; GBL_RLS (bit 2) and SLP_EN are write-only and read as 0.
    private const ushort BusMasterReload = 1 << 1;
    private const ushort SleepTypeMask = 0b111 << SleepTypeShift;
    private const ushort StoredMask = BusMasterReload | SleepTypeMask;

    private readonly Lock _lock = new();
    private readonly byte _s5SleepType;
    private readonly byte? _s3SleepType;
    private readonly Action _powerOff;
    private readonly Action? _suspend;
    private ushort _value;
    private long _ignoredSleepRequests;
    private long _suspendRequests;

    /// <summary>
    /// Creates the register. <paramref name="s5SleepType"/> is the SLP_TYPx value the DSDT's <c>\_S5</c> names
    /// (0-7); writing it with SLP_EN calls <paramref name="powerOff"/>. With <paramref name="s3SleepType"/> (the
    /// <c>\_S3</c> value) and <paramref name="suspend"/>, writing that value with SLP_EN calls <paramref name="suspend"/>.
    /// </summary>
    public AcpiPm1ControlBlock(byte s5SleepType, Action powerOff, byte? s3SleepType = null, Action? suspend = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(s5SleepType, (byte)7);
        ArgumentNullException.ThrowIfNull(powerOff);
        if (s3SleepType is byte s3 && (s3 > 7 || s3 == s5SleepType || suspend is null))
        {
            throw new ArgumentException("S3 needs its own 3-bit sleep type and a suspend callback", nameof(s3SleepType));
        }

        _s5SleepType = s5SleepType;
        _powerOff = powerOff;
        _s3SleepType = s3SleepType;
        _suspend = suspend;
    }

    /// <summary>Suspends to RAM so far (writes of SLP_EN with the S3 sleep type).</summary>
    public long SuspendRequests => Interlocked.Read(ref _suspendRequests);

    /// <summary>Puts the register back to its power-on value, as the machine's reset on a wake from S3 does.</summary>
    public void ResetAfterWake()
    {
        lock (_lock)
        {
            _value = 0;
        }
    }

    /// <summary>The stored bits of PM1_CNT.</summary>
    public AcpiPm1ControlState SaveState()
    {
        lock (_lock)
        {
            return new AcpiPm1ControlState { Value = _value };
        }
    }

    /// <summary>Puts the register in <paramref name="state"/> (nothing is triggered: SLP_EN is not stored).</summary>
    /// <exception cref="DeviceStateException">The value has bits the register does not keep; nothing is changed then.</exception>
    public void RestoreState(AcpiPm1ControlState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        DeviceStateException.Require((state.Value & ~StoredMask) == 0, "acpi-pm1-control", nameof(state.Value), "has bits other than BM_RLD and SLP_TYPx");
        lock (_lock)
        {
            _value = state.Value;
        }
    }

    /// <summary>PM1_CNT as the guest reads it.</summary>
    public ushort Value
    {
        get
        {
            lock (_lock)
            {
                return (ushort)(_value | SciEnable);
            }
        }
    }

    /// <summary>Writes of SLP_EN with a sleep type other than S5 (the machine has no other sleep state).</summary>
    public long IgnoredSleepRequests => Interlocked.Read(ref _ignoredSleepRequests);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        ushort value = Value;
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            data[i] = at < BlockLength ? (byte)(value >> (int)(at * 8)) : (byte)0xFF;
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        bool powerOff = false, suspend = false;
        lock (_lock)
        {
            int written = _value;
            for (int i = 0; i < data.Length && offset + (ulong)i < BlockLength; i++)
            {
                int shift = (int)(offset + (ulong)i) * 8;
                written = (written & ~(0xFF << shift)) | (data[i] << shift);
            }

            _value = (ushort)(written & StoredMask);
            if ((written & SleepEnable) != 0)
            {
                int sleepType = (written & SleepTypeMask) >> SleepTypeShift;
                if (sleepType == _s5SleepType)
                {
                    powerOff = true;
                }
                else if (sleepType == _s3SleepType)
                {
                    suspend = true;
                    Interlocked.Increment(ref _suspendRequests);
                }
                else
                {
                    Interlocked.Increment(ref _ignoredSleepRequests);
                }
            }
        }

        // Outside the lock: the callback stops the machine and may wait for this vCPU's peers.
        if (powerOff)
        {
            _powerOff();
        }
        else if (suspend)
        {
            _suspend!();
        }
    }
}
