namespace SharpVmm.Kvm;

/// <summary>One write KVM queued in the <see cref="CoalescedWriteRing"/> instead of exiting (<c>struct kvm_coalesced_mmio</c>).</summary>
/// <param name="Address">The port or guest-physical address written.</param>
/// <param name="Length">Bytes written: 1 to 8.</param>
/// <param name="IsPortIo">A port write (<c>out</c>) rather than MMIO.</param>
/// <param name="Data">The bytes written, little-endian, in the low <paramref name="Length"/> bytes.</param>
public readonly record struct CoalescedWrite(ulong Address, int Length, bool IsPortIo, ulong Data);
