using System.Diagnostics;
using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Bus;
using SharpVmm.Diagnostics;
using SharpVmm.Kvm;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

// The vCPU's run loop answers a published counter's reads (the ACPI PM timer's) from the host's clock, without
// returning to managed code: what the guest reads, and which accesses it hands back.
[Tier(TestTiers.KvmFast)]
public class PublishedCounterRunLoopTests
{
    private const ushort CounterPort = 0x608, EchoPort = 0x510;

    [Fact]
    public void A_counter_read_in_the_run_loop_is_the_count_the_device_would_give_between_the_host_clocks_around_it()
    {
        var counter = new PublishedCounter(0, AcpiPmTimer.Frequency, AcpiPmTimer.CounterMask) { Start = Stopwatch.GetTimestamp() };
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, CounterPort);
            a.@in(eax, dx);
            a.mov(ebx, eax);
            a.@in(eax, dx);
            a.mov(ecx, eax);
            a.mov(dx, EchoPort);
            a.mov(eax, ebx);
            a.@out(dx, eax); // the first count, to the caller
            a.mov(eax, ecx);
            a.@out(dx, eax); // the second
            a.mov(dx, CounterPort);
            a.@in(ax, dx); // two bytes: the caller's
            a.@out(dx, eax); // a write: the caller's
            a.hlt();
        }));
        using var loop = new PublishedPortRunLoop(vm.Vcpus[0].Kvm);
        loop.ClearStale();
        loop.SetPorts([new PublishedPort(CounterPort, counter.Address, AnswersReads: true, DropsRewrites: false, Counter: true)], [counter]);
        VcpuExit exit = vm.Vcpus[0].Kvm.Exit;
        var perPort = new List<(ushort Port, bool IsWrite, long Count)>();

        long before = Stopwatch.GetTimestamp();
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        long after = Stopwatch.GetTimestamp();
        Assert.Equal((EchoPort, true), (exit.IoPort, exit.IoIsWrite));
        uint first = BitConverter.ToUInt32(exit.IoData);
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        long last = Stopwatch.GetTimestamp();
        uint second = BitConverter.ToUInt32(exit.IoData);

        Assert.InRange(first, counter.CountAt(before), counter.CountAt(after));
        Assert.InRange(second, first, counter.CountAt(last));
        Assert.Equal(2, loop.Answered);
        loop.TakeAnswered((port, isWrite, count, _, _) => perPort.Add((port, isWrite, count)));
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        Assert.Equal((CounterPort, false, 2), (exit.IoPort, exit.IoIsWrite, exit.IoSize));
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        Assert.Equal((CounterPort, true, 4), (exit.IoPort, exit.IoIsWrite, exit.IoSize));
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        Assert.Equal(KvmExitReason.Hlt, exit.Reason);
        Assert.Equal(2, loop.Answered);
    }

    [Fact]
    public void A_guest_checking_the_pm_timer_is_answered_in_the_run_loop_with_a_count_that_never_runs_backwards()
    {
        const int Reads = 3000;
        var timer = new AcpiPmTimer(TimeProvider.System);
        var echo = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(CounterPort, AcpiPmTimer.BlockLength, timer).AddIoDevice(EchoPort, 4, echo));
        ExitStatistics statistics = vm.CollectExitStatistics();
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            // Reads the timer Reads times; counts the reads that went back other than by wrapping at 2^24 (edi), and
            // those that moved on (esi); writes both to EchoPort.
            var next = a.CreateLabel();
            var counted = a.CreateLabel();
            var moved = a.CreateLabel();
            a.xor(edi, edi);
            a.xor(esi, esi);
            a.xor(ecx, ecx);
            a.mov(dx, CounterPort);
            a.@in(eax, dx);
            a.mov(ebx, eax);
            a.Label(ref next);
            a.@in(eax, dx);
            a.cmp(eax, ebx);
            a.je(counted);
            a.ja(moved);
            a.mov(ebp, ebx);
            a.sub(ebp, eax);
            a.cmp(ebp, 0x80_0000);
            a.jae(moved); // wrapped
            a.inc(edi);
            a.jmp(counted);
            a.Label(ref moved);
            a.inc(esi);
            a.Label(ref counted);
            a.mov(ebx, eax);
            a.inc(ecx);
            a.cmp(ecx, Reads);
            a.jne(next);
            a.mov(dx, EchoPort);
            a.mov(eax, edi);
            a.@out(dx, eax);
            a.mov(eax, esi);
            a.@out(dx, eax);
            a.hlt();
        }));

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.NotNull(timer.PublishedCounter);
        ulong[] written = [.. echo.Writes.Select(w => w.Value)];
        Assert.Equal(2, written.Length);
        Assert.Equal(0UL, written[0]); // never back
        Assert.True(written[1] > Reads / 2, $"the count moved on only {written[1]} times in {Reads} reads");
        Assert.True(vm.Vcpus[0].ExitsAnsweredInRunLoop >= Reads, $"{vm.Vcpus[0].ExitsAnsweredInRunLoop} exits answered in the run loop");
        Assert.Equal(Reads + 1, Assert.Single(statistics.Sites(), s => s.Address == CounterPort && !s.IsWrite).Count);
    }
}
