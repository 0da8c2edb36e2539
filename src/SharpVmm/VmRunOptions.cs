namespace SharpVmm;

/// <summary>Limits for one run.</summary>
public sealed record VmRunOptions
{
    /// <summary>Stop after this many exits (all vCPUs together); null for no limit.</summary>
    public long? MaxExits { get; init; }

    /// <summary>Stop after this much wall-clock time; null for no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>
    /// Start with every vCPU parked before its first <c>KVM_RUN</c> and the devices paused: the VM is
    /// <see cref="VmState.Paused"/> when <see cref="VirtualMachine.Start"/> returns (a restored snapshot without
    /// <c>resume_vm</c>).
    /// </summary>
    public bool StartPaused { get; init; }
}
