using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Decides what a test that needs /dev/kvm does on this machine: run, fail loudly when KVM is missing,
/// or skip only when the run says so with SHARPVMM_SKIP_KVM_TESTS=1.
/// </summary>
public static class KvmTestEnvironment
{
    /// <summary>Set to 1 to skip (not pass) every test that needs /dev/kvm.</summary>
    public const string SkipVariable = "SHARPVMM_SKIP_KVM_TESTS";

    /// <summary>Call first in every test that needs /dev/kvm.</summary>
    public static void RequireKvm()
    {
        if (TestContext.Current.Test?.Traits.TryGetValue(TestTiers.Trait, out var tiers) == true && tiers.Contains(TestTiers.Unit))
        {
            Assert.Fail($"a test in the unit tier asked for KVM: move its class to [Tier(TestTiers.{nameof(TestTiers.KvmFast)})] (the unit tier runs where there is no KVM)");
        }

        if (Environment.GetEnvironmentVariable(SkipVariable) == "1")
        {
            Assert.Skip($"{SkipVariable}=1: KVM tests skipped on request");
        }

        if (!File.Exists("/dev/kvm"))
        {
            Assert.Fail($"/dev/kvm is missing: this test needs KVM. Run on a host with KVM, or set {SkipVariable}=1 to skip KVM tests explicitly.");
        }
    }

    /// <summary>True on a kvm_pvm host (no hardware virtualization: guest user mode cannot run).</summary>
    public static bool IsPvmHost => global::SharpVmm.Platform.DirectKernelBoot.HostEmulatesGuestKernel;
}
