namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The values of the <see cref="CmosRtc"/> time and calendar registers, in binary. Fields may hold a date that does
/// not exist while the guest writes them one at a time; <see cref="TryToDateTime"/> says whether they make one.
/// </summary>
internal readonly record struct RtcFields(int Second, int Minute, int Hour, int DayOfWeek, int Day, int Month, int YearOfCentury, int Century)
{
    /// <summary>The registers for <paramref name="time"/> (UTC); day of week runs 1 (Sunday) to 7.</summary>
    public static RtcFields From(DateTimeOffset time)
    {
        DateTime t = time.UtcDateTime;
        return new RtcFields(t.Second, t.Minute, t.Hour, (int)t.DayOfWeek + 1, t.Day, t.Month, t.Year % 100, t.Year / 100);
    }

    /// <summary>The value of one register.</summary>
    public int Get(int register) => register switch
    {
        CmosRtc.Seconds => Second,
        CmosRtc.Minutes => Minute,
        CmosRtc.Hours => Hour,
        CmosRtc.DayOfWeek => DayOfWeek,
        CmosRtc.DayOfMonth => Day,
        CmosRtc.Month => Month,
        CmosRtc.Year => YearOfCentury,
        _ => Century,
    };

    /// <summary>These fields with one register replaced.</summary>
    public RtcFields With(int register, int value) => register switch
    {
        CmosRtc.Seconds => this with { Second = value },
        CmosRtc.Minutes => this with { Minute = value },
        CmosRtc.Hours => this with { Hour = value },
        CmosRtc.DayOfWeek => this with { DayOfWeek = value },
        CmosRtc.DayOfMonth => this with { Day = value },
        CmosRtc.Month => this with { Month = value },
        CmosRtc.Year => this with { YearOfCentury = value },
        _ => this with { Century = value },
    };

    /// <summary>
    /// The time these fields name, if they name one. The day of week is not checked: the chip keeps whatever the
    /// guest wrote and counts on from it, while this model derives it from the date.
    /// </summary>
    public bool TryToDateTime(out DateTimeOffset time)
    {
        time = default;
        int year = (Century * 100) + YearOfCentury;
        if (Second is < 0 or > 59 || Minute is < 0 or > 59 || Hour is < 0 or > 23 || YearOfCentury is < 0 or > 99
            || Century is < 0 or > 99 || year < 1 || Month is < 1 or > 12 || Day < 1 || Day > DateTime.DaysInMonth(year, Month))
        {
            return false;
        }

        time = new DateTimeOffset(year, Month, Day, Hour, Minute, Second, TimeSpan.Zero);
        return true;
    }
}
