namespace SharpVmm.Devices.Acpi;

/// <summary>
/// The state of an <see cref="AcpiPmTimer"/> (<see cref="AcpiPmTimer.SaveState"/>): how far it had counted. A restored
/// timer counts on from there, so the guest's clocksource never runs backwards; the time the machine spent saved is
/// not counted (the guest sees the timer stand still across the snapshot, as it sees its TSC-based clocks do).
/// </summary>
public sealed record AcpiPmTimerState
{
    /// <summary>Ticks at <see cref="AcpiPmTimer.Frequency"/> counted since the timer started (not wrapped at 2^24).</summary>
    public ulong ElapsedTicks { get; set; }
}
