using SharpVmm.Sys;

namespace SharpVmm.Devices.Legacy;

/// <summary>The host's <see cref="CoarseRealtimeClock"/>, the coarse companion of <see cref="TimeProvider.System"/>.</summary>
internal sealed class HostCoarseUtcClock : ICoarseUtcClock
{
    private HostCoarseUtcClock()
    {
    }

    /// <summary>The host's coarse clock, or null where the kernel has none.</summary>
    public static HostCoarseUtcClock? Instance { get; } = CoarseRealtimeClock.IsAvailable && CoarseRealtimeClock.MaxLag > TimeSpan.Zero ? new() : null;

    /// <inheritdoc />
    public TimeSpan MaxLag => CoarseRealtimeClock.MaxLag;

    /// <inheritdoc />
    public DateTimeOffset GetCoarseUtcNow() => CoarseRealtimeClock.TryGetUtcNow(out DateTimeOffset now) ? now : DateTimeOffset.UtcNow; // the precise time trails itself by nothing
}
