namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The guest-visible state of a <see cref="CmosRtc"/> (<see cref="CmosRtc.SaveState"/>). The guest's clock is kept as
/// its offset from the host's UTC clock, so after a restore it reads the host's time plus that offset: like a
/// battery-backed chip, it went on counting while the machine was saved. The alarm (registers 1, 3 and 5 with register
/// B's AIE) lives in <see cref="Ram"/>.
/// </summary>
public sealed record CmosRtcState
{
    /// <summary>The 128 bytes of CMOS RAM, the control registers A and B and the alarm registers included.</summary>
    public byte[] Ram { get; set; } = [];

    /// <summary>The register the index port selects (0-127).</summary>
    public byte Index { get; set; }

    /// <summary>Whether the last index write set bit 7 (NMI disabled).</summary>
    public bool NmiDisabled { get; set; }

    /// <summary>Guest time minus host UTC time, in 100 ns ticks.</summary>
    public long GuestOffsetTicks { get; set; }

    /// <summary>
    /// While register B's SET bit stops updates: the time registers the guest is writing, in binary (second, minute,
    /// hour, day of week, day, month, year of century, century); null while the clock runs.
    /// </summary>
    public int[]? HeldTime { get; set; }

    /// <summary>Host time, in 100 ns ticks, from the guest's last read of register C (which clears its flags) to the save.</summary>
    public long TicksSinceFlagsRead { get; set; }
}
