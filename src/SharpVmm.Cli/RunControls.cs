namespace SharpVmm.Cli;

/// <summary>How the CLI runs a VM, beside what the VM is: limits and tracing (not part of a <see cref="Configuration.VmConfig"/>).</summary>
public sealed record RunControls
{
    /// <summary>Print every port I/O and MMIO access.</summary>
    public bool TraceIo { get; init; }

    /// <summary>Stop after this many exits.</summary>
    public long? MaxExits { get; init; }

    /// <summary>Stop after this long.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>The limits as the library takes them.</summary>
    public VmRunOptions ToRunOptions() => new() { MaxExits = MaxExits, TimeLimit = TimeLimit };
}
