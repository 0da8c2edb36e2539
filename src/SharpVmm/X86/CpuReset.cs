using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.X86;

/// <summary>
/// Puts a vCPU back in the state a reset or INIT leaves it in (Intel SDM vol. 3A, 10.1.1 "Processor State After
/// Reset"): real mode, caches as after reset (CR0 = 0x60000010), no paging or long mode, flat 64 KiB segments, the
/// local APIC's registers cleared with every LVT entry masked. A wake from ACPI S3 does this to every vCPU, then starts
/// the boot processor at the firmware waking vector, while the others wait for INIT/SIPI.
/// </summary>
/// <remarks>The FPU, MSRs and pending events are left as they are; an operating system's wake code sets them up again.</remarks>
public static class CpuReset
{
    private const ulong Cr0AfterReset = 0x6000_0010; // CD | NW | ET
    private const ulong ApicBaseAddress = 0xFEE0_0000, ApicBaseEnable = 1 << 11, ApicBaseBootProcessor = 1 << 8;
    private const byte CodeType = 0xB, DataType = 0x3, BusyTssType = 0xB, LdtType = 0x2;

    // Local APIC registers (Intel SDM vol. 3A, table 11-1) kept across INIT, and the values the others take.
    private const int ApicId = 0x20, ApicVersion = 0x30, DestinationFormat = 0xE0, SpuriousVector = 0xF0;
    private const uint LvtMasked = 1 << 16;
    private static readonly int[] LvtRegisters = [0x2F0, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370];

    /// <summary>
    /// Resets <paramref name="vcpu"/> and starts it in real mode at <paramref name="vector"/> (a physical address below
    /// 1 MiB, entered as <c>vector &gt;&gt; 4 : vector &amp; 0xF</c>, as PC firmware jumps to the FACS waking vector).
    /// </summary>
    public static void StartAtRealModeVector(KvmVcpu vcpu, uint vector, bool hasIrqchip)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vector, 0xF_FFFFu);
        Reset(vcpu, (ushort)(vector >> 4), bootProcessor: true, hasIrqchip);
        vcpu.SetRegs(new KvmRegs { Rip = vector & 0xF, Rflags = 2 });
        if (hasIrqchip)
        {
            vcpu.SetMpState(KvmMpState.Runnable);
        }
    }

    /// <summary>Resets <paramref name="vcpu"/> (an application processor) to wait for INIT and SIPI from the boot processor.</summary>
    public static void WaitForStartup(KvmVcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        Reset(vcpu, 0, bootProcessor: false, hasIrqchip: true);
        vcpu.SetRegs(new KvmRegs { Rflags = 2 });
        vcpu.SetMpState(KvmMpState.Uninitialized);
    }

    private static void Reset(KvmVcpu vcpu, ushort segment, bool bootProcessor, bool hasIrqchip)
    {
        KvmSregs sregs = vcpu.GetSregs();
        ulong apicBase = ApicBaseAddress | ApicBaseEnable | (bootProcessor ? ApicBaseBootProcessor : 0);
        var fresh = new KvmSregs
        {
            Cs = RealModeSegment(segment, CodeType),
            Ds = RealModeSegment(segment, DataType),
            Es = RealModeSegment(segment, DataType),
            Fs = RealModeSegment(segment, DataType),
            Gs = RealModeSegment(segment, DataType),
            Ss = RealModeSegment(segment, DataType),
            Tr = new KvmSegment { Limit = 0xFFFF, Type = BusyTssType, Present = 1 },
            Ldt = new KvmSegment { Limit = 0xFFFF, Type = LdtType, Present = 1 },
            Gdt = new KvmDtable { Limit = 0xFFFF },
            Idt = new KvmDtable { Limit = 0xFFFF },
            Cr0 = Cr0AfterReset,
            ApicBase = hasIrqchip ? apicBase : sregs.ApicBase,
        };
        vcpu.SetSregs(fresh);
        if (hasIrqchip)
        {
            ResetLocalApic(vcpu);
            VcpuPlatformSetup.WireLocalInterrupts(vcpu);
        }
    }

    private static KvmSegment RealModeSegment(ushort selector, byte type) =>
        new() { Selector = selector, Base = (ulong)selector << 4, Limit = 0xFFFF, Type = type, Present = 1, S = 1 };

    private static void ResetLocalApic(KvmVcpu vcpu)
    {
        KvmLapicState old = vcpu.GetLapic();
        var lapic = default(KvmLapicState);
        lapic.SetRegister(ApicId, old.GetRegister(ApicId));
        lapic.SetRegister(ApicVersion, old.GetRegister(ApicVersion));
        lapic.SetRegister(DestinationFormat, 0xFFFF_FFFF);
        lapic.SetRegister(SpuriousVector, 0xFF);
        foreach (int lvt in LvtRegisters)
        {
            lapic.SetRegister(lvt, LvtMasked);
        }

        vcpu.SetLapic(lapic);
    }
}
