namespace SharpVmm;

/// <summary>Limits for one run.</summary>
public sealed record VmRunOptions
{
    /// <summary>Stop after this many exits (all vCPUs together); null for no limit.</summary>
    public long? MaxExits { get; init; }

    /// <summary>Stop after this much wall-clock time; null for no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }
}
