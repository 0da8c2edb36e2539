using System.Diagnostics;
using SharpVmm.Exits;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class ExitHandlingTests
{
    private const uint SpinCounter = 0x5000;

    [Fact]
    public void Hlt_ends_the_run_normally()
    {
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Real, 0x1000, [0x90, 0x90, 0xF4]); // nop; nop; hlt

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.True(result.IsSuccess);
        Assert.Equal(3UL, vm.Vcpus[0].Kvm.GetRegs().Rip); // loaded at 0x100:0x0, stopped after the hlt
    }

    [Fact]
    public void Triple_fault_is_reported_with_registers_and_code()
    {
        using var vm = TestVm.Create();
        // The mode helpers install an empty IDT, so the #UD from ud2 cannot be delivered: #GP, #DF, triple fault.
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(eax, 0xFEEDF00D);
            a.ud2();
        }));

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.TripleFault, result.Reason);
        Assert.False(result.IsSuccess);
        Assert.Equal(0, result.VcpuId);
        Assert.Contains("KVM_EXIT_SHUTDOWN", result.Summary, StringComparison.Ordinal);
        Assert.NotNull(result.Report);
        if (!result.Report.Contains(VcpuReport.ResetStateNote, StringComparison.Ordinal)) // KVM on AMD resets the vCPU at shutdown
        {
            Assert.Contains("rax=0x00000000feedf00d", result.Report, StringComparison.Ordinal);
            Assert.Contains("ud2", result.Report, StringComparison.Ordinal);
            Assert.Contains($"cs=0x{CpuModeSetup.CodeSelector:x4}", result.Report, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("rip=0x000000000000fff0", result.Report, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Running_into_unbacked_memory_stops_with_a_report_not_a_crash()
    {
        using var vm = TestVm.Create(memory: 2 << 20);
        // Jump to 16 MiB, far past the 2 MiB of RAM: there is no memory (and no device) to fetch from.
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(eax, 0x1000000);
            a.jmp(eax);
        }));

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.False(result.IsSuccess, $"unexpected success: {result.Summary}");
        Assert.NotNull(result.Report);
        Assert.Contains("rip=0x0000000001000000", result.Report, StringComparison.Ordinal);
        Assert.Contains("not backed by guest memory", result.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_vcpus_run_at_the_same_time()
    {
        // Each vCPU sets its own flag, then waits for the other's: if they did not run concurrently, both would spin forever.
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(0x500, 4, device), vcpus: 2);
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            var wait = a.CreateLabel();
            a.mov(__dword_ptr[ebx * 4 + 0x3000], 1); // flags[me] = 1 (ebx = vCPU id)
            a.mov(ecx, ebx);
            a.xor(ecx, 1);                             // the other vCPU
            a.Label(ref wait);
            a.pause();
            a.cmp(__dword_ptr[ecx * 4 + 0x3000], 0);
            a.je(wait);
            a.mov(eax, ebx);
            a.mov(dx, 0x500);
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        foreach (Vcpu vcpu in vm.Vcpus)
        {
            var regs = vcpu.Kvm.GetRegs();
            regs.Rbx = (ulong)vcpu.Id;
            vcpu.Kvm.SetRegs(regs);
        }

        VmRunResult result = TestVm.RunToEnd(vm, TimeSpan.FromSeconds(30));

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal([0UL, 1UL], device.Writes.Select(w => w.Value).Order().ToArray());
        Assert.All(vm.Vcpus, v => Assert.True(v.ExitCount >= 2));
    }

    [Fact]
    public void A_spinning_vcpu_is_stopped_from_another_thread()
    {
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Long64, 0x100000, GuestCode.Assemble(64, 0x100000, a =>
        {
            var spin = a.CreateLabel();
            a.Label(ref spin);
            a.inc(rax);
            a.mov(__qword_ptr[SpinCounter], rax);
            a.jmp(spin);
        }));

        vm.Start();
        // Stopped before its first KVM_RUN, the vCPU would never run the guest: wait until the guest has counted.
        Assert.True(SpinWait.SpinUntil(() => vm.Memory.Read<ulong>(new GuestAddress(SpinCounter)) != 0, TimeSpan.FromSeconds(60)), "the guest never ran");

        var clock = Stopwatch.StartNew();
        vm.Stop();
        VmRunResult result = vm.WaitForExit(TimeSpan.FromSeconds(10));

        Assert.Equal(VmStopReason.StopRequested, result.Reason);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stop took {clock.Elapsed}");
        Assert.True(vm.Vcpus[0].Kvm.GetRegs().Rax > 0, "the guest never ran");
    }

    [Fact]
    public void A_time_limit_stops_a_guest_that_never_exits()
    {
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Real, 0x1000, [0xEB, 0xFE]); // jmp $

        VmRunResult result = vm.Run(new VmRunOptions { TimeLimit = TimeSpan.FromMilliseconds(300) });

        Assert.Equal(VmStopReason.TimeLimitReached, result.Reason);
    }

    [Fact]
    public void Exit_limit_stops_after_exactly_that_many_exits()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(0x10, 2, device));
        TestVm.Load(vm, CpuMode.Real, 0x10000, File.ReadAllBytes(Path.Combine(RepoPaths.Root, "guests", "bin", "kvmsample.bin")));

        VmRunResult result = vm.Run(new VmRunOptions { MaxExits = 7, TimeLimit = TestVm.DefaultTimeLimit });

        Assert.Equal(VmStopReason.ExitLimitReached, result.Reason);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (ulong)i), device.Writes.Select(w => w.Value));
    }

    [Fact]
    public void A_vm_runs_only_once_and_disposes_cleanly_after_a_stop()
    {
        var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Real, 0x1000, [0xF4]);
        TestVm.RunToEnd(vm);

        Assert.Throws<InvalidOperationException>(() => vm.Run());
        vm.Dispose();
        vm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => vm.Memory.Regions[0].HostAddress);
    }
}
