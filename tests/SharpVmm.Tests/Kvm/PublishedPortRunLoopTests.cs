using SharpVmm.Devices.Bus;
using SharpVmm.Diagnostics;
using SharpVmm.Kvm;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

// The vCPU's run loop answers published port registers without returning to managed code (PublishedPortRunLoop):
// what the guest sees, what is counted, and what makes it hand an exit back.
[Tier(TestTiers.KvmFast)]
public class PublishedPortRunLoopTests
{
    private const ushort DevicePort = 0x500, StatusPort = DevicePort + 5, EchoPort = 0x510;

    [Fact]
    public void A_guest_polling_a_published_register_is_answered_in_the_run_loop_and_every_answer_is_counted_and_timed()
    {
        const int Polls = 2000;
        var device = new PublishingDevice();
        var echo = new RecordingDevice();
        device.Status.Publish(0x60);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device).AddIoDevice(EchoPort, 4, echo));
        ExitStatistics statistics = vm.CollectExitStatistics();
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, SummingPoller(Polls));

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal([(ulong)Polls * 0x60], echo.Writes.Select(w => w.Value));
        Assert.Equal(0, device.Reads);
        Assert.Equal(Polls + 1 + 1, vm.ExitCount); // the polls, the echo and the HLT
        Assert.Equal(Polls + 1, Assert.Single(statistics.ByReason(), s => s.Reason == (uint)KvmExitReason.Io).Count);
        ExitSite polls = Assert.Single(statistics.Sites(), s => s.Address == StatusPort && !s.IsWrite);
        Assert.Equal(Polls, polls.Count);
        Assert.True(polls.Time > TimeSpan.Zero && polls.Longest > TimeSpan.Zero && polls.Longest <= polls.Time);
        Assert.True(vm.Vcpus[0].TimeHandlingExits >= polls.Time);
        Assert.Equal(Polls - 1, vm.Vcpus[0].ExitsAnsweredInRunLoop); // all but the first: the loop starts after it
    }

    [Fact]
    public void A_value_published_while_the_guest_polls_reaches_it_and_once_withdrawn_the_read_reaches_the_device()
    {
        var device = new PublishingDevice();
        var echo = new RecordingDevice();
        echo.Written += () => device.Status.Withdraw(); // the first echo takes the value back
        device.Status.Publish(0x60);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device).AddIoDevice(EchoPort, 4, echo));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            var wait = a.CreateLabel();
            a.mov(dx, StatusPort);
            a.Label(ref wait);
            a.@in(al, dx);
            a.cmp(al, 0x60);
            a.je(wait); // until the host publishes something else
            a.mov(dx, EchoPort);
            a.@out(dx, al);
            a.mov(dx, StatusPort);
            a.@in(al, dx); // withdrawn now: the device answers
            a.mov(dx, EchoPort);
            a.@out(dx, al);
            a.hlt();
        }));

        vm.Start();
        WaitUntilTheLoopHasAnswered(vm);
        device.Status.Publish(0x21);
        VmRunResult result = vm.WaitForExit(TestVm.DefaultTimeLimit);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal([0x21UL, 0xD5UL], echo.Writes.Select(w => w.Value));
        Assert.Equal(1, device.Reads);
        Assert.True(vm.Vcpus[0].ExitsAnsweredInRunLoop > 0);
    }

    [Fact]
    public void A_register_removed_from_the_bus_while_the_guest_polls_it_is_no_longer_answered()
    {
        var device = new PublishingDevice();
        device.Status.Publish(0x60);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            var wait = a.CreateLabel();
            a.mov(dx, StatusPort);
            a.Label(ref wait);
            a.@in(al, dx);
            a.cmp(al, 0xFF);
            a.jne(wait); // until nothing answers: the bus floats to all ones
            a.hlt();
        }));

        vm.Start();
        WaitUntilTheLoopHasAnswered(vm);
        Assert.True(vm.IoBus.Unregister(DevicePort));
        VmRunResult result = vm.WaitForExit(TestVm.DefaultTimeLimit);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal(0, device.Reads);
    }

    // The set of ports the loop answers changes while the guest runs; a register keeps the copy of its value in the
    // loop's block meanwhile (Vcpu.TakePublishedPorts), so what the loop answers after a change is the value now.
    [Fact]
    public void A_register_taken_out_of_the_loops_ports_and_put_back_is_answered_with_the_value_it_was_given_meanwhile()
    {
        var device = new PublishingDevice();
        var echo = new RecordingDevice();
        device.Status.Publish(0x60);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device).AddIoDevice(EchoPort, 4, echo));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            var wait = a.CreateLabel();
            a.mov(dx, StatusPort);
            a.Label(ref wait);
            a.@in(al, dx);
            a.cmp(al, 0x21);
            a.jne(wait); // 0x60 from the device, then all ones from nothing, until the host publishes 0x21
            a.mov(dx, EchoPort);
            a.@out(dx, al);
            a.hlt();
        }));

        vm.Start();
        WaitUntilTheLoopHasAnswered(vm);
        Assert.True(vm.IoBus.Unregister(DevicePort)); // out of the set: the port is unclaimed now
        Assert.True(SpinWait.SpinUntil(() => vm.IoBus.UnclaimedByAddress.ContainsKey(StatusPort), TimeSpan.FromSeconds(30)),
            "the guest did not read the unclaimed port in 30 s");
        device.Status.Publish(0x21); // while its port is not answered from it
        vm.IoBus.Register(DevicePort, 8, device); // back in the set
        VmRunResult result = vm.WaitForExit(TestVm.DefaultTimeLimit);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal([0x21UL], echo.Writes.Select(w => w.Value));
    }

    [Fact]
    public void A_stop_ends_a_guest_that_polls_a_published_register_forever()
    {
        using VirtualMachine vm = PollingForever();

        vm.Start();
        WaitUntilTheLoopHasAnswered(vm);
        vm.Stop();
        VmRunResult result = vm.WaitForExit(TestVm.DefaultTimeLimit);

        Assert.Equal(VmStopReason.StopRequested, result.Reason);
        Assert.True(vm.ExitCount > 1, $"{vm.ExitCount} exits");
        Assert.Equal(vm.ExitCount, result.ExitCount); // with the exits the loop answered after the stop was asked for
        Assert.Equal(vm.ExitCount, vm.Vcpus[0].ExitCount);
    }

    [Fact]
    public void A_run_with_an_exit_limit_counts_every_published_read_toward_it()
    {
        using VirtualMachine vm = PollingForever();

        VmRunResult result = vm.Run(new VmRunOptions { MaxExits = 500, TimeLimit = TestVm.DefaultTimeLimit });

        Assert.Equal(VmStopReason.ExitLimitReached, result.Reason);
        Assert.Equal(500, vm.ExitCount);
        Assert.Equal(0, vm.Vcpus[0].ExitsAnsweredInRunLoop); // the loop stays off: it would run past the limit
    }

    // Until the run loop has come back once from answering the guest (after its budget of answers): the guest is
    // polling in the loop, whatever the host's speed.
    private static void WaitUntilTheLoopHasAnswered(VirtualMachine vm) =>
        Assert.True(SpinWait.SpinUntil(() => vm.Vcpus[0].ExitsAnsweredInRunLoop > 0, TimeSpan.FromSeconds(30)), "the run loop answered nothing in 30 s");

    // Reads the status port polls times a byte at a time, writes the sum of the values as a dword to EchoPort; halts.
    private static byte[] SummingPoller(int polls) => GuestCode.Assemble(32, 0x100000, a =>
    {
        var next = a.CreateLabel();
        a.xor(ecx, ecx);
        a.xor(ebx, ebx);
        a.mov(dx, StatusPort);
        a.Label(ref next);
        a.@in(al, dx);
        a.movzx(eax, al);
        a.add(ebx, eax);
        a.inc(ecx);
        a.cmp(ecx, polls);
        a.jne(next);
        a.mov(eax, ebx);
        a.mov(dx, EchoPort);
        a.@out(dx, eax);
        a.hlt();
    });

    // A VM whose guest reads the published status register (0x60) for ever.
    private static VirtualMachine PollingForever()
    {
        var device = new PublishingDevice();
        device.Status.Publish(0x60);
        VirtualMachine vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            var forever = a.CreateLabel();
            a.mov(dx, StatusPort);
            a.Label(ref forever);
            a.@in(al, dx);
            a.jmp(forever);
        }));
        return vm;
    }

    [Fact]
    public void The_loop_answers_reads_and_drops_rewrites_itself_and_returns_with_the_first_exit_it_does_not_answer()
    {
        const int Rounds = 100;
        const ushort ControlPort = DevicePort + 1;
        var status = new PublishedRegister(5);
        var control = new PublishedRegister(1, rewritesChangeNothing: true);
        status.Publish(0x60);
        control.Publish(0x05);
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            var next = a.CreateLabel();
            a.xor(ecx, ecx);
            a.xor(ebx, ebx);
            a.Label(ref next);
            a.mov(dx, StatusPort);
            a.@in(al, dx);
            a.movzx(eax, al);
            a.add(ebx, eax);
            a.mov(dx, ControlPort);
            a.mov(al, 0x05);
            a.@out(dx, al); // its own value back
            a.inc(ecx);
            a.cmp(ecx, Rounds);
            a.jne(next);
            a.mov(eax, ebx);
            a.mov(dx, EchoPort);
            a.@out(dx, eax);
            a.hlt();
        }));
        using var loop = new PublishedPortRunLoop(vm.Vcpus[0].Kvm);
        Assert.True(loop.ClearStale()); // a new loop answers nothing until its ports are set
        loop.SetPorts([new PublishedPort(StatusPort, status.ValueAddress, true, false), new PublishedPort(ControlPort, control.ValueAddress, true, true)],
            [status, control]);
        var perPort = new List<(ushort Port, bool IsWrite, long Count)>();

        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        (long exits, long cycles) = loop.TakeAnswered((port, isWrite, count, _, longest) =>
        {
            Assert.True(longest > 0);
            perPort.Add((port, isWrite, count));
        });

        Assert.Equal(2 * Rounds, exits);
        Assert.True(cycles > 0);
        Assert.Equal([(StatusPort, false, (long)Rounds), (ControlPort, true, (long)Rounds)], perPort);
        VcpuExit exit = vm.Vcpus[0].Kvm.Exit;
        Assert.Equal(KvmExitReason.Io, exit.Reason);
        Assert.Equal(EchoPort, exit.IoPort);
        Assert.True(exit.IoIsWrite);
        Assert.Equal(Rounds * 0x60, BitConverter.ToInt32(exit.IoData));
    }

    [Fact]
    public void A_loop_marked_stale_answers_nothing_until_its_ports_are_set_again()
    {
        var status = new PublishedRegister(5);
        status.Publish(0x60);
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, StatusPort);
            a.@in(al, dx);
            a.@in(al, dx);
            a.hlt();
        }));
        using var loop = new PublishedPortRunLoop(vm.Vcpus[0].Kvm);
        loop.ClearStale();
        loop.SetPorts([new PublishedPort(StatusPort, status.ValueAddress, true, false)], [status]);
        loop.MarkStale();

        Assert.True(loop.IsStale);
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        Assert.Equal(0, loop.Answered);
        Assert.Equal(StatusPort, vm.Vcpus[0].Kvm.Exit.IoPort);
        vm.Vcpus[0].Kvm.Exit.IoData[0] = 0x42; // answered by the caller, as the dispatcher would

        Assert.True(loop.ClearStale());
        loop.SetPorts([new PublishedPort(StatusPort, status.ValueAddress, true, false)], [status]);
        Assert.False(loop.IsStale);
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        Assert.Equal(1, loop.Answered);
        Assert.Equal(KvmExitReason.Hlt, vm.Vcpus[0].Kvm.Exit.Reason);
    }

    [Fact]
    public void The_loop_returns_after_its_budget_of_answers_and_the_next_run_completes_the_last_one()
    {
        const int Polls = PublishedPortRunLoop.AnswersPerRun + 1000;
        var status = new PublishedRegister(5);
        status.Publish(0x60);
        using var vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, SummingPoller(Polls));
        using var loop = new PublishedPortRunLoop(vm.Vcpus[0].Kvm);
        loop.ClearStale();
        loop.SetPorts([new PublishedPort(StatusPort, status.ValueAddress, true, false)], [status]);

        Assert.Equal(RunLoopOutcome.AnswersSpent, loop.Run());
        Assert.Equal(PublishedPortRunLoop.AnswersPerRun, loop.Answered);
        Assert.Equal(RunLoopOutcome.Exit, loop.Run());
        Assert.Equal(Polls, loop.Answered);
        Assert.Equal(EchoPort, vm.Vcpus[0].Kvm.Exit.IoPort);
        Assert.Equal(Polls * 0x60, BitConverter.ToInt32(vm.Vcpus[0].Kvm.Exit.IoData)); // every read, the budget's last too, got its value
    }
}
