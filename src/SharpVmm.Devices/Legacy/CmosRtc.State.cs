namespace SharpVmm.Devices.Legacy;

// Saving and restoring the clock's guest-visible state (CmosRtcState).
public sealed partial class CmosRtc
{
    private const string StateDevice = "cmos-rtc";
    private const int HeldFieldCount = 8;

    /// <summary>The CMOS RAM, the index register and the clock's offset from the host's (see <see cref="CmosRtcState"/>).</summary>
    public CmosRtcState SaveState()
    {
        lock (_lock)
        {
            return new CmosRtcState
            {
                Ram = [.. _ram],
                Index = _index,
                NmiDisabled = NmiDisabled,
                GuestOffsetTicks = _offset.Ticks,
                HeldTime = _held is { } h ? [h.Second, h.Minute, h.Hour, h.DayOfWeek, h.Day, h.Month, h.YearOfCentury, h.Century] : null,
                TicksSinceFlagsRead = Math.Max(0, (_time.GetUtcNow() - _flagsSince).Ticks),
            };
        }
    }

    /// <summary>Puts the clock in <paramref name="state"/>: the guest's time goes on from the host's clock plus the saved offset.</summary>
    /// <exception cref="DeviceStateException">A field is out of range; nothing is changed then.</exception>
    public void RestoreState(CmosRtcState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] ram = DeviceStateException.Present(state.Ram, StateDevice, nameof(state.Ram));
        DeviceStateException.Require(ram.Length == RamSize, StateDevice, nameof(state.Ram), $"is not {RamSize} bytes");
        DeviceStateException.Require(state.Index < RamSize, StateDevice, nameof(state.Index), $"is not below {RamSize}");
        DeviceStateException.Require(state.TicksSinceFlagsRead >= 0, StateDevice, nameof(state.TicksSinceFlagsRead), "is negative");
        DeviceStateException.Require(state.HeldTime is null or { Length: HeldFieldCount }, StateDevice, nameof(state.HeldTime),
            $"does not hold {HeldFieldCount} fields");
        DeviceStateException.Require(state.HeldTime is null || state.HeldTime.All(f => f is >= -1 and <= 255), StateDevice,
            nameof(state.HeldTime), "has a field no register value decodes to");
        DateTimeOffset hostNow = _time.GetUtcNow();
        long guestTicks = hostNow.UtcTicks + state.GuestOffsetTicks;
        DeviceStateException.Require(
            Math.Abs(state.GuestOffsetTicks) < DateTimeOffset.MaxValue.Ticks
                && guestTicks > DateTimeOffset.MinValue.Ticks + TimeSpan.TicksPerDay
                && guestTicks < DateTimeOffset.MaxValue.Ticks - (100 * TimeSpan.TicksPerDay * 366),
            StateDevice, nameof(state.GuestOffsetTicks), "puts the guest's clock outside the years DateTimeOffset can count");
        lock (_lock)
        {
            state.Ram.CopyTo(_ram, 0);
            _index = state.Index;
            NmiDisabled = state.NmiDisabled;
            _offset = TimeSpan.FromTicks(state.GuestOffsetTicks);
            _held = state.HeldTime is [int s, int m, int h, int w, int d, int mo, int y, int c] ? new RtcFields(s, m, h, w, d, mo, y, c) : null;
            _flagsSince = hostNow - TimeSpan.FromTicks(Math.Min(state.TicksSinceFlagsRead, hostNow.UtcTicks - DateTimeOffset.MinValue.Ticks));
        }
    }
}
