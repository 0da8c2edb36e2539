using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Legacy;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// The MC146818 RTC and CMOS memory (<see cref="CmosRtc"/>) on a clock the input moves: index/data port accesses, and
/// between them time passing (from milliseconds to years), after which the alarm's next wake is asked for.
/// </summary>
public sealed class CmosRtcTarget : IFuzzTarget
{
    private static readonly DateTimeOffset Start = new(2024, 2, 28, 23, 59, 50, TimeSpan.Zero);

    /// <inheritdoc />
    public string Name => "cmos-rtc";

    /// <inheritdoc />
    public string Description => "MC146818 RTC/CMOS: index/data port accesses while time advances, alarm wake queried";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var script = new AccessScript(input);
        var clock = new FakeTimeProvider(Start.AddSeconds(script.NextByte() * 3607));
        ulong below4G = script.NextValue(4) << 12, above4G = script.NextValue(4) << 20;
        var rtc = new CmosRtc(clock, below4G, above4G);
        BusDeviceDriver.Play(ref script, rtc, 2, 1, access =>
        {
            // Offset and width pick the step: 1 ms to about 3 years.
            long milliseconds = (long)(access.Offset + 1) << (access.Extra * 2);
            clock.Advance(TimeSpan.FromMilliseconds(milliseconds));
            _ = rtc.NextAlarmWake();
            _ = rtc.GuestTime;
        });
    }
}
