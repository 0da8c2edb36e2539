using System.Globalization;
using SharpVmm.Kvm;

namespace SharpVmm.Diagnostics;

/// <summary>
/// Where a group of exits came from, and what they cost: one exit reason and, for port I/O and MMIO, the direction
/// and the port or guest-physical address. <see cref="Time"/> is the time the vCPU threads spent in the VMM handling
/// them, outside <c>KVM_RUN</c>.
/// </summary>
/// <param name="Reason">The <c>kvm_run.exit_reason</c>.</param>
/// <param name="IsWrite">For port I/O and MMIO: a write (OUT) rather than a read (IN); false for other reasons.</param>
/// <param name="Address">For port I/O the port, for MMIO the address; 0 for other reasons.</param>
/// <param name="Count">How many exits.</param>
/// <param name="Time">The time spent handling them.</param>
public readonly record struct ExitSite(uint Reason, bool IsWrite, ulong Address, long Count, TimeSpan Time)
{
    /// <summary>Whether this site has a port or an address (a port I/O or MMIO exit).</summary>
    public bool HasAddress => Reason is (uint)KvmExitReason.Io or (uint)KvmExitReason.Mmio;

    /// <summary>The longest any one of them took (zero where not known, as in the sums by reason).</summary>
    public TimeSpan Longest { get; init; }

    /// <summary>The mean time per exit.</summary>
    public TimeSpan MeanTime => Count == 0 ? TimeSpan.Zero : Time / Count;

    /// <summary>E.g. <c>IO out 0x3f8</c>, <c>MMIO read 0xd0000000</c>, <c>HLT</c>.</summary>
    public string Describe() => HasAddress
        ? string.Create(CultureInfo.InvariantCulture,
            $"{(Reason == (uint)KvmExitReason.Io ? (IsWrite ? "IO out" : "IO in") : (IsWrite ? "MMIO write" : "MMIO read"))} 0x{Address:x}")
        : KvmExitReasonNames.Of(Reason);

    /// <summary>The exit reason's name alone, e.g. <c>KVM_EXIT_IO</c> (for the sums of <see cref="ExitStatistics.ByReason"/>).</summary>
    public string ReasonName => KvmExitReasonNames.Of(Reason);
}
