namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The MC146818's alarm ("Alarm" in the datasheet): seconds, minutes and hours registers compared with the time at each
/// update, once a second. A register holding a "don't care" code (its two high bits set, 0xC0-0xFF) matches every value,
/// so an alarm with all three don't-care fires every second. Fields here are decoded to binary; null is don't-care.
/// </summary>
internal readonly record struct RtcAlarm(int? Second, int? Minute, int? Hour)
{
    /// <summary>Whether a raw alarm register value is the don't-care code.</summary>
    public static bool IsDontCare(byte raw) => (raw & 0xC0) == 0xC0;

    /// <summary>
    /// The first update strictly after <paramref name="after"/> (a whole second of the clock) at which the alarm fires,
    /// or null if no time matches (a field out of range, such as an hour of 24 or a malformed BCD value).
    /// </summary>
    public DateTimeOffset? NextMatch(DateTimeOffset after)
    {
        if (Second is < 0 or > 59 || Minute is < 0 or > 59 || Hour is < 0 or > 23)
        {
            return null;
        }

        var t = new DateTimeOffset(after.Ticks - (after.Ticks % TimeSpan.TicksPerSecond), after.Offset).AddSeconds(1);
        DateTimeOffset limit = t.AddDays(1);
        while (t <= limit)
        {
            if (Hour is int hour && t.Hour != hour)
            {
                t = t.AddTicks(-(t.Ticks % TimeSpan.TicksPerHour)).AddHours(1); // the next hour's first second
            }
            else if (Minute is int minute && t.Minute != minute)
            {
                t = t.AddTicks(-(t.Ticks % TimeSpan.TicksPerMinute)).AddMinutes(1);
            }
            else if (Second is int second && t.Second != second)
            {
                t = t.AddSeconds(1);
            }
            else
            {
                return t;
            }
        }

        return null;
    }
}
