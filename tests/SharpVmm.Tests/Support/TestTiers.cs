namespace SharpVmm.Tests.Support;

/// <summary>
/// The tiers every test class belongs to, as the trait <c>Tier</c>. ./run-tests runs each tier where this host
/// can run it: unit tests anywhere, kvm-fast and linux directly on a KVM host or inside tools/nested-kvm.
/// </summary>
public static class TestTiers
{
    /// <summary>The trait's name (filter with <c>Tier=unit</c>, <c>-trait Tier=linux</c>, ...).</summary>
    public const string Trait = "Tier";

    /// <summary>No KVM: pure code, files, processes, TAPs in the test's own network namespace. Seconds in all.</summary>
    public const string Unit = "unit";

    /// <summary>KVM with tiny guests: raw guests, the test kernel, CLI processes. Seconds each, even on kvm_pvm.</summary>
    public const string KvmFast = "kvm-fast";

    /// <summary>Linux guests: minutes each on kvm_pvm, so they run under nested KVM there.</summary>
    public const string Linux = "linux";

    /// <summary>
    /// A second trait, <c>Smoke=direct</c>, marks the Linux boot that ./run-tests also runs on a kvm_pvm host's own
    /// KVM (where the rest of the Linux tier runs under nested KVM): the boot such a host's users run.
    /// </summary>
    public const string SmokeTrait = "Smoke";

    /// <summary>The value of <see cref="SmokeTrait"/> for that boot.</summary>
    public const string SmokeDirect = "direct";

    /// <summary>Every tier, in the order ./run-tests runs them.</summary>
    public static readonly IReadOnlyList<string> All = [Unit, KvmFast, Linux];
}
