using SharpVmm.Tests.Support;
using SharpVmm.Kvm.Structs;
using SharpVmm.X86;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class CpuidPolicyTests
{
    // A host-like supported list: leaf 1 with SSSE3, POPCNT, XSAVE; leaf 4 (L1 and L3); leaf 7 with SMAP; 0xA, 0xB.
    private static readonly KvmCpuidEntry2[] Supported =
    [
        new() { Function = 0, Eax = 0xD },
        new() { Function = 1, Eax = 0x906EA, Ebx = 0x0010_0800, Ecx = (1u << 9) | (1u << 23) | (1u << 26) | 1, Edx = 0x0789_FBFF | (1u << 28) },
        new() { Function = 4, Index = 0, Flags = 1, Eax = (1u << 5) | 1 },
        new() { Function = 4, Index = 1, Flags = 1, Eax = (3u << 5) | 3 },
        new() { Function = 7, Index = 0, Flags = 1, Ebx = (1u << 20) | (1u << 0) },
        new() { Function = 0xA, Eax = 0x0704_3004, Edx = 0x603 },
        new() { Function = 0xB, Index = 0, Flags = 1 },
        new() { Function = 0xB, Index = 1, Flags = 1 },
        new() { Function = 0xB, Index = 2, Flags = 1 },
        new() { Function = 0x4000_0000, Eax = 0x4000_0001, Ebx = 0x4B4D_564B },
    ];

    [Fact]
    public void Leaf_1_carries_the_apic_id_cpu_count_hypervisor_bit_and_htt()
    {
        KvmCpuidEntry2 leaf1 = Leaf(new CpuidPolicy().ForVcpu(Supported, apicId: 3, vcpuCount: 4), 1);

        Assert.Equal(3u, leaf1.Ebx >> 24);
        Assert.Equal(4u, (leaf1.Ebx >> 16) & 0xFF);
        Assert.Equal(0x0800u, leaf1.Ebx & 0xFFFF); // CLFLUSH line size kept
        Assert.NotEqual(0u, leaf1.Ecx & (1u << 31));
        Assert.NotEqual(0u, leaf1.Edx & (1u << 28));
        Assert.Equal(Supported[1].Eax, leaf1.Eax);
    }

    [Fact]
    public void One_vcpu_has_no_htt()
    {
        KvmCpuidEntry2 leaf1 = Leaf(new CpuidPolicy().ForVcpu(Supported, 0, 1), 1);
        Assert.Equal(0u, leaf1.Edx & (1u << 28));
    }

    [Fact]
    public void Extended_topology_describes_cores_of_one_package_with_the_x2apic_id()
    {
        KvmCpuidEntry2[] result = new CpuidPolicy().ForVcpu(Supported, apicId: 5, vcpuCount: 6);
        var smt = result.Single(e => e.Function == 0xB && e.Index == 0);
        var core = result.Single(e => e.Function == 0xB && e.Index == 1);
        var end = result.Single(e => e.Function == 0xB && e.Index == 2);

        Assert.Equal((0u, 1u, 0x100u, 5u), (smt.Eax, smt.Ebx, smt.Ecx, smt.Edx));
        Assert.Equal((3u, 6u, 0x201u, 5u), (core.Eax, core.Ebx, core.Ecx, core.Edx)); // 6 cores need 3 ID bits
        Assert.Equal((0u, 0u, 2u), (end.Eax, end.Ebx, end.Ecx));
    }

    [Fact]
    public void Cache_leaf_counts_cores_and_shares_only_the_last_level()
    {
        KvmCpuidEntry2[] result = new CpuidPolicy().ForVcpu(Supported, 0, 4);
        var l1 = result.Single(e => e.Function == 4 && e.Index == 0);
        var l3 = result.Single(e => e.Function == 4 && e.Index == 1);

        Assert.Equal(3u, l1.Eax >> 26);
        Assert.Equal(0u, (l1.Eax >> 14) & 0xFFF);
        Assert.Equal(3u, (l3.Eax >> 14) & 0xFFF);
        Assert.Equal(Supported[3].Eax & 0x3FFF, l3.Eax & 0x3FFF);
    }

    [Fact]
    public void The_pmu_is_hidden_and_other_leaves_pass_through()
    {
        KvmCpuidEntry2[] result = new CpuidPolicy().ForVcpu(Supported, 0, 1);

        KvmCpuidEntry2 pmu = Leaf(result, 0xA);
        Assert.Equal((0u, 0u, 0u, 0u), (pmu.Eax, pmu.Ebx, pmu.Ecx, pmu.Edx));
        Assert.Equal(Supported[^1].Ebx, Leaf(result, 0x4000_0000).Ebx);
        Assert.Equal(Supported.Length, result.Length);
    }

    // An AMD host's extended leaves: 0x80000001 with LAHF (ECX 0), ABM (5), IBS (10), PerfCtrExtCore (23),
    // PerfCtrExtNB (24), PerfCtrExtLLC (28); IBS capabilities; PerfMonV2 with 6 core counters; SEV (0x8000001F).
    private static readonly KvmCpuidEntry2[] AmdSupported =
    [
        new() { Function = 0x8000_0000, Eax = 0x8000_0022 },
        new() { Function = 0x8000_0001, Ecx = 1u | (1u << 5) | (1u << 10) | (1u << 23) | (1u << 24) | (1u << 28), Edx = 1u << 29 },
        new() { Function = 0x8000_001B, Eax = 0x3FF },
        new() { Function = 0x8000_001F, Eax = 0x1 },
        new() { Function = 0x8000_0022, Eax = 0x1, Ebx = 0x6 },
    ];

    [Fact]
    public void The_amd_pmu_is_hidden_counter_extensions_ibs_and_perfmon_v2_and_nothing_else()
    {
        KvmCpuidEntry2[] result = new CpuidPolicy().ForVcpu(AmdSupported, 0, 1);

        KvmCpuidEntry2 ext1 = Leaf(result, 0x8000_0001);
        Assert.Equal(0u, ext1.Ecx & ((1u << 10) | (1u << 23) | (1u << 24) | (1u << 28)));
        Assert.Equal(1u | (1u << 5), ext1.Ecx); // LAHF and ABM stay (ABM goes only with the emulator gaps)
        Assert.Equal(1u << 29, ext1.Edx);     // long mode untouched
        foreach (uint leaf in new uint[] { 0x8000_001B, 0x8000_0022 })
        {
            KvmCpuidEntry2 e = Leaf(result, leaf);
            Assert.Equal((0u, 0u, 0u, 0u), (e.Eax, e.Ebx, e.Ecx, e.Edx));
        }

        Assert.Equal(0x8000_0022u, Leaf(result, 0x8000_0000).Eax);
        Assert.Equal(1u, Leaf(result, 0x8000_001F).Eax);
        Assert.Equal(0u, Leaf(new CpuidPolicy { HideEmulatorGaps = true }.ForVcpu(AmdSupported, 0, 1), 0x8000_0001).Ecx & (1u << 5));
    }

    [Fact]
    public void Emulator_gaps_are_kept_by_default_and_hidden_on_request()
    {
        KvmCpuidEntry2[] plain = new CpuidPolicy().ForVcpu(Supported, 0, 1);
        Assert.NotEqual(0u, Leaf(plain, 1).Ecx & (1u << 26));
        Assert.NotEqual(0u, Leaf(plain, 7).Ebx & (1u << 20));

        KvmCpuidEntry2[] hidden = new CpuidPolicy { HideEmulatorGaps = true }.ForVcpu(Supported, 0, 1);
        KvmCpuidEntry2 leaf1 = Leaf(hidden, 1);
        Assert.Equal(0u, leaf1.Ecx & ((1u << 9) | (1u << 23) | (1u << 26)));
        Assert.Equal(1u, leaf1.Ecx & 1); // SSE3 untouched
        Assert.Equal(1u, Leaf(hidden, 7).Ebx); // SMAP gone, FSGSBASE kept
    }

    // KVM's feature leaf as a current kernel offers it: clocksource (0), clocksource2 (3), async PF (4), steal time (5),
    // PV EOI (6), PV unhalt (7), PV TLB flush (9), PV send IPI (11), poll control (12), PV sched yield (13),
    // async PF int (14), MSI ext dest ID (15), map GPA range (16).
    private const uint KvmFeatures = 0x1FAF9;

    [Fact]
    public void Where_ring_0_is_emulated_the_paravirtual_features_that_need_a_hypercall_are_hidden_and_no_others()
    {
        KvmCpuidEntry2[] supported =
        [
            new() { Function = 0x4000_0000, Eax = 0x4000_0001, Ebx = 0x4b4d564b, Ecx = 0x564b4d56, Edx = 0x4d },
            new() { Function = 0x4000_0001, Eax = KvmFeatures, Edx = 1 },
        ];

        Assert.Equal(KvmFeatures, Leaf(new CpuidPolicy().ForVcpu(supported, 0, 2), 0x4000_0001).Eax);

        KvmCpuidEntry2[] hidden = new CpuidPolicy { HideEmulatorGaps = true }.ForVcpu(supported, 0, 2);
        KvmCpuidEntry2 features = Leaf(hidden, 0x4000_0001);
        const uint Hypercalls = (1u << 7) | (1u << 11) | (1u << 13) | (1u << 16);
        Assert.Equal(KvmFeatures & ~Hypercalls, features.Eax);
        Assert.Equal(1u, features.Edx); // the hints pass through
        Assert.Equal(0x4b4d564bu, Leaf(hidden, 0x4000_0000).Ebx); // still "KVMKVMKVM": kvmclock and the rest stay
    }

    [Theory]
    [InlineData(1u, 0u)]
    [InlineData(2u, 1u)]
    [InlineData(3u, 2u)]
    [InlineData(4u, 2u)]
    [InlineData(5u, 3u)]
    [InlineData(255u, 8u)]
    public void Core_shift_is_enough_bits_for_every_core(uint count, uint shift) =>
        Assert.Equal(shift, CpuidPolicy.CoreShift(count));

    private static KvmCpuidEntry2 Leaf(KvmCpuidEntry2[] entries, uint function) => entries.First(e => e.Function == function);
}
