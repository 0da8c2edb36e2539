using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

/// <summary>
/// A Motorola MC146818 real-time clock with its CMOS RAM, as on every PC: an index port (0x70, offset
/// <see cref="IndexOffset"/>) and a data port (0x71, offset <see cref="DataOffset"/>); register it over
/// <see cref="PortCount"/> ports at 0x70. The time comes from the injected <see cref="TimeProvider"/> (UTC); a guest
/// that sets the clock moves it by an offset from the host clock, as a battery-backed chip would keep the new time.
/// Register and bit names follow the MC146818 datasheet ("Address Map", "Registers").
/// </summary>
/// <remarks>
/// The update-ended, periodic and alarm flags in register C are computed from the clock when C is read; no interrupt
/// line is driven (Linux reads the time by polling). A read of a time register or of register A takes the time from the
/// provider's coarse clock (<see cref="ICoarseUtcClock"/>; the host's for <see cref="TimeProvider.System"/>) when that
/// reading settles the answer: the precise time, at most <see cref="ICoarseUtcClock.MaxLag"/> later, is then in the same
/// second and before its update cycle. Only reads near the end of a second read the precise clock, which costs a
/// system call where the host's clock source has no vDSO reader. The alarm (<see cref="NextAlarmWake"/>) is what wakes a machine
/// from ACPI S3, as on QEMU's PC. Changing register B's data mode or
/// hour format re-encodes the time registers at once; a real chip would keep the old encoding until the next update.
/// </remarks>
public sealed partial class CmosRtc : IBusDevice
{
    /// <summary>Number of I/O ports the RTC decodes (index and data).</summary>
    public const int PortCount = 2;

    /// <summary>Offset of the index port (0x70): bits 0-6 select a register, bit 7 set disables NMI.</summary>
    public const int IndexOffset = 0;

    /// <summary>Offset of the data port (0x71).</summary>
    public const int DataOffset = 1;

    /// <summary>Bytes of CMOS RAM, including the clock registers.</summary>
    public const int RamSize = 128;

    // Time and calendar registers ("Address Map"); 0x32 is the century byte PC firmware keeps (ACPI FADT default).
    internal const int Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfWeek = 0x06, DayOfMonth = 0x07;
    internal const int Month = 0x08, Year = 0x09;
    private const int SecondsAlarm = 0x01, MinutesAlarm = 0x03, HoursAlarm = 0x05;
    private const int RegisterA = 0x0A, RegisterB = 0x0B, RegisterC = 0x0C, RegisterD = 0x0D;
    internal const int Century = 0x32;

    // Memory-size bytes as PC BIOSes keep them (IBM PC AT Technical Reference, "CMOS RAM Address Map").
    private const int BaseMemoryLow = 0x15, ExtendedMemoryLow = 0x17, ExtendedMemoryPostLow = 0x30, MemoryAbove16MLow = 0x34;
    private const int MemoryAbove4GLow = 0x5B; // three bytes, 64 KiB units (the QEMU/SeaBIOS convention)

    // Register A: update in progress, divider select (DV2-DV0), rate select (RS3-RS0).
    private const byte AUpdateInProgress = 0x80, ADividerMask = 0x70, ADividerNormal = 0x20, ARateMask = 0x0F;
    private const byte DefaultRegisterA = ADividerNormal | 0x06; // 32.768 kHz time base, 1024 Hz periodic rate

    // Register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary), 24/12 (1 = 24-hour), DSE.
    private const byte BSet = 0x80, BPeriodicInterrupt = 0x40, BAlarmInterrupt = 0x20, BUpdateInterrupt = 0x10;
    private const byte BBinary = 0x04, B24Hour = 0x02;

    /// <summary>Register B after power-on: 24-hour mode, BCD data.</summary>
    public const byte DefaultRegisterB = B24Hour;

    // Register C: IRQF, PF, AF, UF. Register D: VRT (valid RAM and time).
    private const byte CInterruptRequest = 0x80, CPeriodic = 0x40, CAlarm = 0x20, CUpdateEnded = 0x10;
    private const byte DValidRamAndTime = 0x80;

    // An update cycle: UIP rises 244 us before it and the cycle itself takes 1984 us ("Update Cycle").
    private static readonly TimeSpan UpdateInProgressWindow = TimeSpan.FromMicroseconds(244 + 1984);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ICoarseUtcClock? _coarse;
    private readonly byte[] _ram = new byte[RamSize];
    private TimeSpan _offset; // guest time minus host time
    private RtcFields? _held; // the time registers while SET stops updates
    private readonly RtcFieldsOfSecond _fieldsNow = new();
    private DateTimeOffset _flagsSince;
    private byte _index;

    /// <summary>
    /// Creates an RTC reading the time from <paramref name="timeProvider"/>. Non-zero memory sizes fill the CMOS
    /// memory-size bytes the way a BIOS does: <paramref name="memoryBelow4GiB"/> is guest RAM below 4 GiB,
    /// <paramref name="memoryAbove4GiB"/> RAM from 4 GiB up, both in bytes.
    /// </summary>
    public CmosRtc(TimeProvider timeProvider, ulong memoryBelow4GiB = 0, ulong memoryAbove4GiB = 0)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _coarse = timeProvider as ICoarseUtcClock ?? (ReferenceEquals(timeProvider, TimeProvider.System) ? HostCoarseUtcClock.Instance : null);
        _ram[RegisterA] = DefaultRegisterA;
        _ram[RegisterB] = DefaultRegisterB;
        _flagsSince = timeProvider.GetUtcNow();
        WriteMemorySizes(memoryBelow4GiB, memoryAbove4GiB);
    }

    /// <summary>Whether the guest's last index write set bit 7 (NMI disabled).</summary>
    public bool NmiDisabled { get; private set; }

    /// <summary>The clock the guest sees now, in UTC.</summary>
    public DateTimeOffset GuestTime
    {
        get
        {
            lock (_lock)
            {
                return _time.GetUtcNow() + _offset;
            }
        }
    }

    /// <summary>Time-register writes that did not make a valid date (ignored, as the clock keeps running).</summary>
    public long InvalidTimeWrites { get; private set; }

    /// <summary>
    /// When the alarm next fires, in host time (the <see cref="TimeProvider"/>'s clock), if the guest enabled its
    /// interrupt (register B's AIE): the moment a sleeping machine wakes. Null when AIE is clear or no time matches.
    /// </summary>
    public DateTimeOffset? NextAlarmWake()
    {
        lock (_lock)
        {
            if ((_ram[RegisterB] & BAlarmInterrupt) == 0 || _held is not null)
            {
                return null;
            }

            return Alarm().NextMatch(Now()) is DateTimeOffset guest ? guest - _offset : null;
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            // The index port is write-only on a PC: reads float.
            data[0] = offset == DataOffset ? ReadRegister(_index) : (byte)0xFF;
            data[1..].Clear();
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            if (offset == IndexOffset)
            {
                NmiDisabled = (data[0] & 0x80) != 0;
                _index = (byte)(data[0] & 0x7F);
            }
            else if (offset == DataOffset)
            {
                WriteRegister(_index, data[0]);
            }
        }
    }

    private bool Binary => (_ram[RegisterB] & BBinary) != 0;

    private bool TwentyFourHour => (_ram[RegisterB] & B24Hour) != 0;

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case Seconds or Minutes or Hours or DayOfWeek or DayOfMonth or Month or Year or Century:
                return EncodeTimeRegister(register, _held ?? _fieldsNow.Get(SettledNow() ?? Now())); // fields of a whole second
            case RegisterA:
                return (byte)(_ram[RegisterA] | (UpdateInProgress() ? AUpdateInProgress : 0));
            case RegisterC:
                return ReadAndClearFlags();
            case RegisterD:
                return DValidRamAndTime;
            default:
                return _ram[register];
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case Seconds or Minutes or Hours or DayOfWeek or DayOfMonth or Month or Year or Century:
                WriteTimeRegister(register, value);
                break;
            case RegisterA:
                _ram[RegisterA] = (byte)(value & ~AUpdateInProgress); // UIP is read-only
                break;
            case RegisterB:
                WriteRegisterB(value);
                break;
            case RegisterC or RegisterD:
                break; // read-only
            default:
                _ram[register] = value;
                break;
        }
    }

    private void WriteRegisterB(byte value)
    {
        bool wasSet = (_ram[RegisterB] & BSet) != 0;
        bool set = (value & BSet) != 0;
        if (set)
        {
            value &= unchecked((byte)~BUpdateInterrupt); // setting SET clears UIE
        }

        if (set && !wasSet)
        {
            // Updates stop; the registers hold whole seconds while the guest writes them.
            _held = _fieldsNow.Get(Now());
        }
        else if (!set && wasSet && _held is { } held)
        {
            // Updates resume from the written time; the first one comes a full second later.
            if (held.TryToDateTime(out DateTimeOffset time))
            {
                _offset = time - _time.GetUtcNow();
            }
            else
            {
                InvalidTimeWrites++;
            }

            _held = null;
        }

        _ram[RegisterB] = value;
    }

    private void WriteTimeRegister(int register, byte value)
    {
        int decoded = register == Hours ? DecodeHours(value) : Decode(value);
        if (_held is { } held)
        {
            _held = held.With(register, decoded);
            return;
        }

        // The clock is running: the new field takes effect at once, keeping the other fields and the phase.
        DateTimeOffset now = Now();
        if (RtcFields.From(now).With(register, decoded).TryToDateTime(out DateTimeOffset time))
        {
            _offset += time - now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        }
        else
        {
            InvalidTimeWrites++;
        }
    }

    private byte EncodeTimeRegister(int register, RtcFields fields)
    {
        if (register != Hours)
        {
            return Encode(fields.Get(register));
        }

        if (TwentyFourHour)
        {
            return Encode(fields.Hour);
        }

        // 12-hour mode: 12, 1-11 with bit 7 set for PM.
        int hour12 = fields.Hour % 12 == 0 ? 12 : fields.Hour % 12;
        return (byte)(Encode(hour12) | (fields.Hour >= 12 ? 0x80 : 0));
    }

    private byte Encode(int value) => Binary ? (byte)value : (byte)(((value / 10) << 4) | (value % 10));

    // Malformed BCD decodes to an out-of-range value, which makes the date invalid.
    private int Decode(byte value) => Binary ? value : ((value >> 4) * 10) + (value & 0x0F);

    private int DecodeHours(byte value)
    {
        if (TwentyFourHour)
        {
            return Decode(value);
        }

        int hour12 = Decode((byte)(value & 0x7F));
        return hour12 is < 1 or > 12 ? -1 : (hour12 % 12) + ((value & 0x80) != 0 ? 12 : 0);
    }

    private RtcAlarm Alarm() => new(AlarmField(SecondsAlarm), AlarmField(MinutesAlarm), AlarmField(HoursAlarm));

    private int? AlarmField(int register)
    {
        byte raw = _ram[register];
        return RtcAlarm.IsDontCare(raw) ? null : register == HoursAlarm ? DecodeHours(raw) : Decode(raw);
    }

    private byte ReadAndClearFlags()
    {
        DateTimeOffset hostNow = _time.GetUtcNow();
        DateTimeOffset since = _flagsSince;
        _flagsSince = hostNow;
        if ((_ram[RegisterA] & ADividerMask) != ADividerNormal)
        {
            return 0;
        }

        byte flags = 0;
        long elapsed = (hostNow - since).Ticks;
        long guestNow = (hostNow + _offset).Ticks;
        bool updated = _held is null && guestNow / TimeSpan.TicksPerSecond > (guestNow - elapsed) / TimeSpan.TicksPerSecond;
        if (updated)
        {
            flags |= CUpdateEnded;
        }

        // The alarm is compared at updates only: without one since the last read, there is no date arithmetic to do.
        if (updated && Alarm().NextMatch(since + _offset) is DateTimeOffset alarm && alarm.Ticks <= guestNow)
        {
            flags |= CAlarm;
        }

        long period = PeriodicInterval();
        if (period > 0 && elapsed >= period)
        {
            flags |= CPeriodic;
        }

        byte enabled = (byte)(_ram[RegisterB] & (BPeriodicInterrupt | BAlarmInterrupt | BUpdateInterrupt));
        if ((flags & enabled & (CPeriodic | CAlarm | CUpdateEnded)) != 0)
        {
            flags |= CInterruptRequest; // PF/AF/UF share bit positions with PIE/AIE/UIE
        }

        return flags;
    }

    // Periodic interrupt interval for the rate-select bits with the 32.768 kHz time base ("Periodic Interrupt Rate").
    private long PeriodicInterval()
    {
        int rate = _ram[RegisterA] & ARateMask;
        int hertz = rate switch
        {
            0 => 0,
            1 => 256,
            2 => 128,
            _ => 32768 >> (rate - 1),
        };
        return hertz == 0 ? 0 : TimeSpan.TicksPerSecond / hertz;
    }

    private void WriteMemorySizes(ulong below4GiB, ulong above4GiB)
    {
        const ulong KiB = 1024, MiB = 1024 * KiB;
        if (below4GiB > 0)
        {
            WriteWord(BaseMemoryLow, 640);
        }

        if (below4GiB > MiB)
        {
            ulong extendedKiB = Math.Min((below4GiB - MiB) / KiB, 0xFFFF);
            WriteWord(ExtendedMemoryLow, (ushort)extendedKiB);
            WriteWord(ExtendedMemoryPostLow, (ushort)extendedKiB);
        }

        if (below4GiB > 16 * MiB)
        {
            WriteWord(MemoryAbove16MLow, (ushort)Math.Min((below4GiB - (16 * MiB)) / (64 * KiB), 0xFFFF));
        }

        if (above4GiB > 0)
        {
            ulong chunks = Math.Min(above4GiB / (64 * KiB), 0xFF_FFFF);
            _ram[MemoryAbove4GLow] = (byte)chunks;
            _ram[MemoryAbove4GLow + 1] = (byte)(chunks >> 8);
            _ram[MemoryAbove4GLow + 2] = (byte)(chunks >> 16);
        }
    }

    private void WriteWord(int low, ushort value)
    {
        _ram[low] = (byte)value;
        _ram[low + 1] = (byte)(value >> 8);
    }
}
