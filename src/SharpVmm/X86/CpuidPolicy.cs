using SharpVmm.Kvm.Structs;

namespace SharpVmm.X86;

/// <summary>
/// Turns the leaves KVM supports (<c>KVM_GET_SUPPORTED_CPUID</c>) into what one vCPU sees (<c>KVM_SET_CPUID2</c>).
/// </summary>
/// <remarks>
/// The policy, in full:
/// <list type="bullet">
/// <item>Every leaf KVM supports is passed through unless a rule below changes it.</item>
/// <item>Topology: leaf 1 carries the vCPU's initial APIC ID (EBX[31:24]), the logical processor count (EBX[23:16])
/// and HTT when there is more than one vCPU; leaves 0xB and 0x1F describe one thread per core and every vCPU as a
/// core of one package, with the x2APIC ID in EDX; leaf 4 says how many cores share each cache.</item>
/// <item>Leaf 1 ECX[31] (hypervisor present) is set, so the guest looks for the hypervisor leaves at 0x40000000.</item>
/// <item>Performance monitoring is hidden, as this VMM does not virtualize performance counters: Intel's architectural
/// PMU (leaf 0xA), and AMD's core, northbridge and last-level-cache counter extensions, instruction-based sampling
/// (leaf 0x80000001 ECX bits 23, 24, 28 and 10; leaf 0x8000001B) and PerfMonV2 (leaf 0x80000022). An AMD guest then
/// uses no counter beyond the four legacy K7 ones (MSRs 0xC0010000-0xC0010007), which have no CPUID bit: Linux still
/// probes those once at boot, and KVM answers the probe itself.</item>
/// <item>With <see cref="HideEmulatorGaps"/>, features whose instructions KVM's instruction emulator cannot run
/// are hidden (XSAVE, SSSE3/SSE4/AVX, POPCNT, SMAP). Needed where guest ring-0 code is emulated (a kvm_pvm host);
/// wrong on hardware virtualization, where it would only slow the guest, so it is off by default. It also hides KVM's
/// paravirtual features that the guest drives with a hypercall (leaf 0x40000001 EAX: PV_UNHALT, PV_SEND_IPI,
/// PV_SCHED_YIELD, HC_MAP_GPA_RANGE): on kvm_pvm a VMCALL from emulated ring 0 never completes, so a Linux guest
/// with two vCPUs hangs in its first paravirtual IPI. Without them Linux sends IPIs through the APIC.</item>
/// </list>
/// </remarks>
public sealed class CpuidPolicy
{
    // Leaf 1 bits (Intel SDM vol. 2A, CPUID, tables 3-10 and 3-11).
    private const uint Leaf1EcxSsse3 = 1u << 9, Leaf1EcxSse41 = 1u << 19, Leaf1EcxSse42 = 1u << 20, Leaf1EcxPopcnt = 1u << 23;
    private const uint Leaf1EcxXsave = 1u << 26, Leaf1EcxOsxsave = 1u << 27, Leaf1EcxAvx = 1u << 28, Leaf1EcxHypervisor = 1u << 31;
    private const uint Leaf1EdxHtt = 1u << 28;

    // Leaf 7 subleaf 0 EBX bits.
    private const uint Leaf7EbxAvx2 = 1u << 5, Leaf7EbxSmap = 1u << 20, Leaf7EbxAvx512F = 1u << 16;

    // Leaf 0x80000001 ECX bit 5: LZCNT/ABM (POPCNT's companion on AMD).
    private const uint ExtLeaf1EcxAbm = 1u << 5;

    // Leaf 0x80000001 ECX, AMD performance monitoring (AMD APM vol. 3, E.4.2): IBS (10), PerfCtrExtCore (23),
    // PerfCtrExtNB (24), PerfCtrExtLLC (28).
    private const uint ExtLeaf1EcxIbs = 1u << 10, ExtLeaf1EcxPerfCtrCore = 1u << 23, ExtLeaf1EcxPerfCtrNb = 1u << 24, ExtLeaf1EcxPerfCtrLlc = 1u << 28;
    private const uint ExtLeaf1EcxPmu = ExtLeaf1EcxIbs | ExtLeaf1EcxPerfCtrCore | ExtLeaf1EcxPerfCtrNb | ExtLeaf1EcxPerfCtrLlc;

    // Leaf 0x40000001 EAX, KVM's paravirtual features (Documentation/virt/kvm/x86/cpuid.rst) that are used through a
    // hypercall: PV_UNHALT (7, KVM_HC_KICK_CPU), PV_SEND_IPI (11), PV_SCHED_YIELD (13), HC_MAP_GPA_RANGE (16).
    private const uint KvmFeaturePvUnhalt = 1u << 7, KvmFeaturePvSendIpi = 1u << 11, KvmFeaturePvSchedYield = 1u << 13;
    private const uint KvmFeatureHcMapGpaRange = 1u << 16;
    private const uint KvmHypercallFeatures = KvmFeaturePvUnhalt | KvmFeaturePvSendIpi | KvmFeaturePvSchedYield | KvmFeatureHcMapGpaRange;

    // Leaf 0xB/0x1F level types.
    private const uint LevelTypeSmt = 1, LevelTypeCore = 2;

    /// <summary>Hides features KVM's instruction emulator cannot execute (for hosts that emulate guest ring 0).</summary>
    public bool HideEmulatorGaps { get; init; }

    /// <summary>Applies the policy for vCPU <paramref name="apicId"/> of <paramref name="vcpuCount"/>.</summary>
    public KvmCpuidEntry2[] ForVcpu(ReadOnlySpan<KvmCpuidEntry2> supported, int apicId, int vcpuCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(apicId);
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        uint id = (uint)apicId, count = (uint)vcpuCount;
        uint coreShift = CoreShift(count);

        var result = new List<KvmCpuidEntry2>(supported.Length);
        foreach (KvmCpuidEntry2 original in supported)
        {
            KvmCpuidEntry2 e = original;
            switch (e.Function)
            {
                case 0x1:
                    e.Ebx = (e.Ebx & 0x0000_FFFF) | (Math.Min(count, 255) << 16) | (id << 24);
                    e.Ecx |= Leaf1EcxHypervisor;
                    e.Edx = count > 1 ? e.Edx | Leaf1EdxHtt : e.Edx & ~Leaf1EdxHtt;
                    if (HideEmulatorGaps)
                    {
                        e.Ecx &= ~(Leaf1EcxSsse3 | Leaf1EcxSse41 | Leaf1EcxSse42 | Leaf1EcxPopcnt | Leaf1EcxXsave | Leaf1EcxOsxsave | Leaf1EcxAvx);
                    }

                    break;
                case 0x4:
                    // EAX[31:26]: cores per package - 1; EAX[25:14]: threads sharing this cache - 1 (L3 is shared by all).
                    uint cacheLevel = (e.Eax >> 5) & 0x7;
                    uint sharing = cacheLevel >= 3 ? count - 1 : 0;
                    e.Eax = (e.Eax & 0x3FFF) | (Math.Min(sharing, 0xFFF) << 14) | (Math.Min(count - 1, 63) << 26);
                    break;
                case 0x7 when e.Index == 0 && HideEmulatorGaps:
                    e.Ebx &= ~(Leaf7EbxAvx2 | Leaf7EbxSmap | Leaf7EbxAvx512F);
                    break;
                case 0xA:
                    e.Eax = e.Ebx = e.Ecx = e.Edx = 0;
                    break;
                case 0xB:
                case 0x1F:
                    Topology(ref e, id, count, coreShift);
                    break;
                case 0xD when HideEmulatorGaps:
                    e.Eax = e.Ebx = e.Ecx = e.Edx = 0;
                    break;
                case 0x4000_0001 when HideEmulatorGaps:
                    e.Eax &= ~KvmHypercallFeatures;
                    break;
                case 0x8000_0001:
                    e.Ecx &= ~ExtLeaf1EcxPmu;
                    if (HideEmulatorGaps)
                    {
                        e.Ecx &= ~ExtLeaf1EcxAbm;
                    }

                    break;
                case 0x8000_001B: // IBS capabilities
                case 0x8000_0022: // extended performance monitoring: PerfMonV2, LBR v2, counter counts
                    e.Eax = e.Ebx = e.Ecx = e.Edx = 0;
                    break;
            }

            result.Add(e);
        }

        return [.. result];
    }

    /// <summary>Bits of the x2APIC ID that number the cores: enough for <paramref name="count"/> of them.</summary>
    public static uint CoreShift(uint count) => count <= 1 ? 0 : (uint)(32 - System.Numerics.BitOperations.LeadingZeroCount(count - 1));

    private static void Topology(ref KvmCpuidEntry2 e, uint id, uint count, uint coreShift)
    {
        e.Edx = id;
        switch (e.Index)
        {
            case 0: // SMT level: one thread per core.
                e.Eax = 0;
                e.Ebx = 1;
                e.Ecx = (LevelTypeSmt << 8) | 0;
                break;
            case 1: // Core level: every vCPU is a core of package 0.
                e.Eax = coreShift;
                e.Ebx = count;
                e.Ecx = (LevelTypeCore << 8) | 1;
                break;
            default: // No further levels.
                e.Eax = 0;
                e.Ebx = 0;
                e.Ecx = e.Index;
                break;
        }
    }
}
