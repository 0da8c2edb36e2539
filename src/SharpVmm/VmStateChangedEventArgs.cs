namespace SharpVmm;

/// <summary>A VM moved from <see cref="Previous"/> to <see cref="Current"/> (<see cref="VirtualMachine.StateChanged"/>).</summary>
public sealed class VmStateChangedEventArgs(VmState previous, VmState current) : EventArgs
{
    /// <summary>The state the VM left.</summary>
    public VmState Previous { get; } = previous;

    /// <summary>The state the VM is in now.</summary>
    public VmState Current { get; } = current;
}
