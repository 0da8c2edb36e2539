namespace SharpVmm.Gdb;

/// <summary>
/// One stop of the guest: the vCPU (0-based) that caused it, why, and for a watchpoint the watched address.
/// <paramref name="Generation"/> is the run it happened in (<see cref="GuestDebugger.Generation"/>), so a stop that
/// raced with Ctrl-C is not taken for a stop of the next run.
/// </summary>
public readonly record struct GuestStop(int VcpuIndex, GdbStopKind Kind, ulong Address, long Generation);
