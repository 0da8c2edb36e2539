using System.Diagnostics;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class LifecycleTests
{
    private const ulong Code = 0x100000;
    private const ulong Counter = 0x5000;
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_paused_guest_leaves_its_memory_alone_for_a_second_and_goes_on_after_resume(int vcpus)
    {
        using VirtualMachine vm = CountingGuest(vcpus);
        var states = new List<VmState>();
        vm.StateChanged += (_, e) => { lock (states) { states.Add(e.Current); } };

        vm.Start();
        uint running = WaitForCounterAbove(vm, 0);
        vm.Pause();
        Assert.Equal(VmState.Paused, vm.State);
        byte[] before = Snapshot(vm.Memory);
        Thread.Sleep(TimeSpan.FromSeconds(1));
        byte[] after = Snapshot(vm.Memory);
        uint paused = vm.Memory.Read<uint>(new GuestAddress(Counter));
        Assert.True(paused >= running, $"the counter went back from {running} to {paused}");
        Assert.True(before.AsSpan().SequenceEqual(after), "guest memory changed while the VM was paused");

        vm.Resume();
        Assert.Equal(VmState.Running, vm.State);
        WaitForCounterAbove(vm, paused);
        vm.Stop();
        VmRunResult result = vm.WaitForExit(Patience);

        Assert.Equal(VmStopReason.StopRequested, result.Reason);
        Assert.Equal(VmState.Stopped, vm.State);
        lock (states)
        {
            Assert.Equal([VmState.Running, VmState.Paused, VmState.Running, VmState.Stopped], states);
        }
    }

    [Fact]
    public void A_vm_paused_and_resumed_many_times_keeps_running_its_guest()
    {
        using VirtualMachine vm = CountingGuest(2);
        vm.Start();
        uint count = WaitForCounterAbove(vm, 0);
        for (int i = 0; i < 20; i++)
        {
            vm.Pause();
            uint paused = vm.Memory.Read<uint>(new GuestAddress(Counter));
            Assert.Equal(paused, vm.Memory.Read<uint>(new GuestAddress(Counter)));
            vm.Resume();
            count = WaitForCounterAbove(vm, paused);
        }

        vm.Stop();
        Assert.Equal(VmStopReason.StopRequested, vm.WaitForExit(Patience).Reason);
        Assert.True(count > 20);
    }

    [Fact]
    public void A_paused_vm_can_be_stopped_and_pausing_a_stopped_one_is_refused()
    {
        using VirtualMachine vm = CountingGuest(1);
        Assert.Throws<InvalidOperationException>(vm.Pause);
        vm.Start();
        WaitForCounterAbove(vm, 0);
        vm.Pause();

        vm.Stop();
        VmRunResult result = vm.WaitForExit(Patience);

        Assert.Equal(VmStopReason.StopRequested, result.Reason);
        Assert.Equal(VmState.Stopped, vm.State);
        Assert.Throws<InvalidOperationException>(vm.Pause);
        Assert.Throws<InvalidOperationException>(vm.Resume);
    }

    [Fact]
    public void A_guest_that_halted_has_stopped_and_cannot_be_paused()
    {
        using VirtualMachine vm = TestVm.Create(memory: 2 << 20);
        TestVm.Load(vm, CpuMode.Protected32, Code, GuestCode.Assemble(32, Code, a => a.hlt()));
        vm.Start();
        VmRunResult result = vm.WaitForExit(Patience);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal(VmState.Stopped, vm.State);
        Assert.Throws<InvalidOperationException>(vm.Pause);
    }

    /// <summary>Every vCPU adds one to the 32-bit counter at <see cref="Counter"/>, forever.</summary>
    internal static VirtualMachine CountingGuest(int vcpus)
    {
        VirtualMachine vm = TestVm.Create(memory: 2 << 20, vcpus: vcpus);
        TestVm.Load(vm, CpuMode.Protected32, Code, GuestCode.Assemble(32, Code, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.@lock.add(__dword_ptr[(uint)Counter], 1);
            a.jmp(loop);
        }));
        return vm;
    }

    internal static uint WaitForCounterAbove(VirtualMachine vm, uint floor)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            uint value = vm.Memory.Read<uint>(new GuestAddress(Counter));
            if (value > floor)
            {
                return value;
            }

            Thread.Sleep(5);
        }

        Assert.Fail($"the guest's counter did not pass {floor} within {Patience}");
        return 0;
    }

    private static byte[] Snapshot(GuestMemory memory)
    {
        var bytes = new byte[memory.TotalSize];
        memory.Read(new GuestAddress(0), bytes);
        return bytes;
    }
}
