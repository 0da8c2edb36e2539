using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.X86;

/// <summary>
/// The per-vCPU state a booting PC operating system expects and real firmware would have left: CPUID, boot MSRs,
/// the x87/SSE control words, and the local APIC's LINT0/LINT1 wiring.
/// </summary>
public static class VcpuPlatformSetup
{
    // MSR numbers (Intel SDM vol. 4, table 2-2).
    private const uint MsrIa32Tsc = 0x10, MsrIa32SysenterCs = 0x174, MsrIa32SysenterEsp = 0x175, MsrIa32SysenterEip = 0x176;
    private const uint MsrIa32MiscEnable = 0x1A0, MsrIa32MtrrDefType = 0x2FF;
    private const uint MsrStar = 0xC000_0081, MsrLstar = 0xC000_0082, MsrCstar = 0xC000_0083, MsrSyscallMask = 0xC000_0084;
    private const uint MsrKernelGsBase = 0xC000_0102;

    private const ulong MiscEnableFastStrings = 1;
    private const ulong MtrrEnable = 1 << 11, MtrrTypeWriteBack = 6;

    // x87 control word after FNINIT and MXCSR after reset (SDM vol. 1, 8.1.5 and 10.2.3).
    private const ushort FpuControlWordDefault = 0x37F;
    private const uint MxcsrDefault = 0x1F80;

    // Local APIC register offsets and LVT delivery modes (SDM vol. 3A, 11.5.1).
    private const int ApicLvtLint0 = 0x350, ApicLvtLint1 = 0x360;
    private const uint LvtDeliveryModeMask = 0x700, DeliveryModeNmi = 0x400, DeliveryModeExtInt = 0x700;

    /// <summary>The MSRs and values a booting kernel expects (the same set Firecracker and kvmtool write).</summary>
    public static IReadOnlyList<KvmMsrEntry> BootMsrs { get; } =
    [
        new() { Index = MsrIa32SysenterCs },
        new() { Index = MsrIa32SysenterEsp },
        new() { Index = MsrIa32SysenterEip },
        new() { Index = MsrStar },
        new() { Index = MsrCstar },
        new() { Index = MsrKernelGsBase },
        new() { Index = MsrSyscallMask },
        new() { Index = MsrLstar },
        new() { Index = MsrIa32Tsc },
        new() { Index = MsrIa32MiscEnable, Data = MiscEnableFastStrings },
        new() { Index = MsrIa32MtrrDefType, Data = MtrrEnable | MtrrTypeWriteBack },
    ];

    /// <summary>Sets CPUID from <paramref name="cpuid"/> and writes the boot MSRs, FPU state and LAPIC LINT wiring.</summary>
    /// <returns>The MSRs KVM refused (this host's KVM may not implement all of them); empty when all were taken.</returns>
    public static IReadOnlyList<uint> Apply(KvmVcpu vcpu, ReadOnlySpan<KvmCpuidEntry2> cpuid, bool hasIrqchip)
    {
        vcpu.SetCpuid(cpuid);
        List<uint> refused = WriteBootMsrs(vcpu);

        KvmFpu fpu = default;
        fpu.Fcw = FpuControlWordDefault;
        fpu.Mxcsr = MxcsrDefault;
        vcpu.SetFpu(fpu);

        if (hasIrqchip)
        {
            WireLocalInterrupts(vcpu);
        }

        return refused;
    }

    /// <summary>LINT0 delivers the 8259 PIC's output as ExtINT and LINT1 delivers NMI, as on every PC (MP spec 3.6.2).</summary>
    public static void WireLocalInterrupts(KvmVcpu vcpu)
    {
        KvmLapicState lapic = vcpu.GetLapic();
        SetDeliveryMode(ref lapic, ApicLvtLint0, DeliveryModeExtInt);
        SetDeliveryMode(ref lapic, ApicLvtLint1, DeliveryModeNmi);
        vcpu.SetLapic(lapic);
    }

    private static void SetDeliveryMode(ref KvmLapicState lapic, int offset, uint mode) =>
        lapic.SetRegister(offset, (lapic.GetRegister(offset) & ~LvtDeliveryModeMask) | mode);

    // One at a time, so a refused MSR costs only itself (a handful of ioctls, once per vCPU at start-up).
    private static List<uint> WriteBootMsrs(KvmVcpu vcpu)
    {
        var refused = new List<uint>();
        foreach (KvmMsrEntry entry in BootMsrs)
        {
            try
            {
                vcpu.SetMsrs([entry]);
            }
            catch (KvmException)
            {
                refused.Add(entry.Index);
            }
        }

        return refused;
    }
}
