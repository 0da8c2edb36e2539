using SharpVmm.Memory;

namespace SharpVmm;

/// <summary>
/// What changes when a VM is built to be restored from a snapshot rather than booted: its memory comes from the
/// snapshot's memory file, and nothing is loaded into it; the vCPUs and devices get their state afterwards.
/// </summary>
/// <param name="Memory">Makes the guest memory of the layout it is given (the memory file, mapped or copied).</param>
/// <param name="CommandLine">The kernel command line the snapshotted VM was booted with; null for a raw guest.</param>
internal sealed record RestorePlan(Func<GuestRamLayout, GuestMemory> Memory, string? CommandLine);
