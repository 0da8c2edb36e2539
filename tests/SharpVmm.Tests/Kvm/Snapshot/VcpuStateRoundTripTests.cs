using SharpVmm.Kvm.Structs;
using SharpVmm.Snapshot;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm.Snapshot;

/// <summary>A vCPU's state captured, applied to a fresh vCPU of a new VM, and captured again, is the same.</summary>
[Tier(TestTiers.KvmFast)]
public class VcpuStateRoundTripTests
{
    private const ulong Code = 0x200000;
    private const ulong Done = 0x5000;
    private const uint MsrTsc = 0x10; // counts on between the two captures
    private const uint MsrHvTimeRefCount = 0x4000_0020; // Hyper-V's reference counter: a clock too, read-only (listed by nested KVM's kvm_amd)
    private const uint MsrHvVpRuntime = 0x4000_0010; // Hyper-V's time this vCPU has run: a clock as well (nested KVM lists it)
    private const int LapicTimerCurrentCount = 0x390; // counts down while the LAPIC timer runs

    [Fact]
    public void A_long_mode_vcpu_with_the_in_kernel_irqchip_reads_back_the_state_it_was_given()
    {
        KvmTestEnvironment.RequireKvm();
        using VirtualMachine first = LongModeGuest();
        first.Start();
        SnapshotGuestWait.ForFlag(first, Done, "reach its loop");
        first.Pause();
        SnapshotMsrs msrs = SnapshotMsrs.For(first.KvmSystem, first.Vcpus[0].Kvm);
        VcpuState saved = VcpuState.Capture(first.Vcpus[0].Kvm, msrs.Indices);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{msrs.Indices.Count} MSRs saved; KVM lists but this vCPU cannot read: {string.Join(' ', msrs.Unreadable.Select(i => $"0x{i:x}"))}");

        using VirtualMachine second = TestVm.Create(b => b.WithInKernelIrqchip(), memory: 4 << 20);
        VcpuState applied = RoundTrip(saved, second, msrs.Indices);

        Assert.Equal(saved.Regs, applied.Regs);
        Assert.Equal(saved.Sregs, applied.Sregs);
        Assert.Equal(saved.XsaveSize, applied.XsaveSize);
        Assert.Equal(saved.Xsave, applied.Xsave);
        Assert.Equal(saved.Fpu, applied.Fpu);
        Assert.Equal(saved.Xcrs, applied.Xcrs);
        Assert.Equal(saved.Debugregs, applied.Debugregs);
        Assert.Equal(WithoutTimerCount(saved.Lapic!), WithoutTimerCount(applied.Lapic!));
        Assert.Equal(saved.VcpuEvents, applied.VcpuEvents);
        Assert.Equal(saved.MpState, applied.MpState);
        Assert.Equal(saved.Cpuid, applied.Cpuid);
        Assert.NotEmpty(saved.Cpuid);
        Assert.Equal(saved.TscKhz, applied.TscKhz);
        Assert.Equal(
            saved.Msrs.Where(m => m.Index is not (MsrTsc or MsrHvTimeRefCount or MsrHvVpRuntime)).Select(m => (m.Index, m.Value)),
            applied.Msrs.Where(m => m.Index is not (MsrTsc or MsrHvTimeRefCount or MsrHvVpRuntime)).Select(m => (m.Index, m.Value)));
        Assert.Equal(0x5555_6666_7777_8888UL, BitConverter.ToUInt64(applied.Xsave!, 160 + (16 * 3)));
        KvmRegs regs = first.Vcpus[0].Kvm.GetRegs();
        Assert.Equal(0x1111_2222_3333_4444UL, regs.Rbx);
        Assert.Equal(0x0123_4567_89AB_CDEFUL, regs.R15);

        first.Stop();
        first.WaitForExit(SnapshotGuestWait.Patience);
    }

    // Gives the state to the fresh vCPU of a VM that never ran, and reads it back.
    private static VcpuState RoundTrip(VcpuState saved, VirtualMachine vm, IReadOnlyList<uint> msrs)
    {
        saved.ApplyTo(vm.Vcpus[0].Kvm);
        return VcpuState.Capture(vm.Vcpus[0].Kvm, msrs);
    }

    /// <summary>
    /// A 64-bit guest with KVM's CPUID, its LAPIC timer armed, values in general and debug registers and in XMM3: it sets
    /// <see cref="Done"/> and spins.
    /// </summary>
    private static VirtualMachine LongModeGuest()
    {
        VirtualMachine vm = TestVm.Create(b => b.WithInKernelIrqchip(), memory: 4 << 20);
        vm.Vcpus[0].Kvm.SetCpuid(vm.KvmSystem.GetSupportedCpuid());

        // XMM3 is given from the host (KVM's emulator, which runs guest ring 0 on kvm_pvm, has no SSE moves): bytes
        // 160 + 16 * 3 of the legacy XSAVE area, with the SSE bit of XSTATE_BV (byte 512) set.
        byte[] xsave = vm.Vcpus[0].Kvm.GetXsave();
        BitConverter.TryWriteBytes(xsave.AsSpan(160 + (16 * 3)), 0x5555_6666_7777_8888UL);
        xsave[512] |= 0x2;
        vm.Vcpus[0].Kvm.SetXsave(xsave);
        TestVm.Load(vm, CpuMode.Long64, Code, GuestCode.Assemble(64, Code, a =>
        {
            a.mov(rbx, 0x1111_2222_3333_4444UL);
            a.mov(r15, 0x0123_4567_89AB_CDEFUL);
            a.mov(rax, 0x4000UL);
            a.mov(dr0, rax);
            a.mov(rdi, 0xFEE0_0000UL);
            a.mov(__dword_ptr[rdi + 0x3E0], 0x3);      // LAPIC timer divide by 16
            a.mov(__dword_ptr[rdi + 0x320], 0x20040);  // LVT timer: periodic, masked, vector 0x40
            a.mov(__dword_ptr[rdi + 0x380], 0x100000); // initial count
            a.mov(__dword_ptr[Done], 1);
            var spin = a.CreateLabel();
            a.Label(ref spin);
            a.jmp(spin);
        }));
        return vm;
    }

    private static byte[] WithoutTimerCount(byte[] lapic)
    {
        byte[] copy = [.. lapic];
        copy.AsSpan(LapicTimerCurrentCount, 4).Clear();
        return copy;
    }
}
