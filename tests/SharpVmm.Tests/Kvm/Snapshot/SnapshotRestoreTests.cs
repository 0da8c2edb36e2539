using System.Diagnostics;
using SharpVmm.Configuration;
using SharpVmm.Memory;
using SharpVmm.Snapshot;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm.Snapshot;

/// <summary>A guest paused, its KVM state and memory copied into a second VM, which goes on where the first stopped.</summary>
[Tier(TestTiers.KvmFast)]
public class SnapshotRestoreTests
{
    private const ushort CounterPort = 0x10;
    private const ulong LoadAddress = 0x10000;
    private const ulong Code32 = 0x100000;
    private const ulong Done = 0x5000;
    private static readonly TimeSpan Patience = SnapshotGuestWait.Patience;

    [Fact]
    public void A_paused_counting_guest_restored_into_a_new_vm_goes_on_from_the_next_counter_value()
    {
        KvmTestEnvironment.RequireKvm();
        var firstPort = new RecordingDevice();
        VcpuState vcpuState;
        VmKvmState vmState;
        byte[] memory;
        ushort last;
        using (VirtualMachine first = CountingGuest(firstPort))
        {
            first.Start();
            SnapshotGuestWait.ForWrites(firstPort, 50);
            first.Pause();

            (vmState, vcpuState, memory) = Capture(first);
            last = (ushort)firstPort.Writes.Last().Value;

            first.Stop();
            Assert.Equal(VmStopReason.StopRequested, first.WaitForExit(Patience).Reason);
        }

        var secondPort = new RecordingDevice();
        using VirtualMachine second = TestVm.Create(b => b.WithInKernelIrqchip().AddIoDevice(CounterPort, 2, secondPort));
        Restore(second, vmState, vcpuState, memory);
        second.Start();
        SnapshotGuestWait.ForWrites(secondPort, 20);
        second.Stop();
        Assert.Equal(VmStopReason.StopRequested, second.WaitForExit(Patience).Reason);

        ushort[] values = [.. secondPort.Writes.Select(w => (ushort)w.Value)];
        Assert.Equal((ushort)(last + 1), values[0]);
        for (int i = 1; i < values.Length; i++)
        {
            Assert.Equal((ushort)(values[i - 1] + 1), values[i]);
        }
    }

    [Fact]
    public void A_guest_paused_while_its_port_read_was_being_answered_gets_the_answer_after_restore()
    {
        // The guest echoes on port 0x10 each value it reads from port 0x14; the host side hands out 1, 2, 3, ... across
        // both VMs, as a restored device model would go on. The pause lands while the host answers read number
        // PausedRead: KVM puts the value in EAX (and moves RIP past the IN) only on the next KVM_RUN, which the pause
        // must make happen before the state is captured, or the restored guest reads again and PausedRead is lost.
        KvmTestEnvironment.RequireKvm();
        const int PausedRead = 20;
        int next = 0;
        using var reached = new ManualResetEventSlim();
        VirtualMachine? running = null;
        var firstPort = new RecordingDevice((offset, _) =>
        {
            int value = Interlocked.Increment(ref next);
            if (value == PausedRead)
            {
                reached.Set();
                var clock = Stopwatch.StartNew();
                while (Volatile.Read(ref running!.Vcpus[0].Kvm.RunData.ImmediateExit) == 0 && clock.Elapsed < Patience)
                {
                    Thread.Yield(); // until Pause has kicked this vCPU
                }
            }

            return (ulong)value;
        });
        VcpuState vcpuState;
        VmKvmState vmState;
        byte[] memory;
        using (VirtualMachine first = EchoGuest(firstPort))
        {
            running = first;
            first.Start();
            Assert.True(reached.Wait(Patience, TestContext.Current.CancellationToken), $"the guest did not read {PausedRead} values");
            first.Pause();
            (vmState, vcpuState, memory) = Capture(first);
            first.Stop();
            first.WaitForExit(Patience);
        }

        var secondPort = new RecordingDevice((_, _) => (ulong)Interlocked.Increment(ref next));
        using VirtualMachine second = EchoGuest(secondPort);
        Restore(second, vmState, vcpuState, memory);
        second.Start();
        SnapshotGuestWait.ForWrites(secondPort, 5);
        second.Stop();
        second.WaitForExit(Patience);

        uint[] echoed = [.. firstPort.Writes.Concat(secondPort.Writes).Select(w => (uint)w.Value)];
        Assert.Equal(PausedRead - 1, firstPort.Writes.Count());
        Assert.Equal(Enumerable.Range(1, echoed.Length).Select(v => (uint)v), echoed);
    }

    [Fact]
    public void A_restored_guest_sees_its_pic_ioapic_and_pit_as_they_were_and_its_clock_going_on_from_where_it_stopped()
    {
        KvmTestEnvironment.RequireKvm();
        VmKvmState saved;
        using (VirtualMachine first = TestVm.Create(b => b.WithInKernelIrqchip()))
        {
            // The guest moves the state away from its reset values: PIT channel 0 counting in mode 2, the master PIC
            // initialised at vector 0x20 with all but IRQ 0 masked, IOAPIC pin 4 unmasked at vector 0x30.
            TestVm.Load(first, CpuMode.Protected32, Code32, GuestCode.Assemble(32, Code32, a =>
            {
                foreach ((byte port, byte value) in (ReadOnlySpan<(byte, byte)>)[(0x43, 0x34), (0x40, 0x9C), (0x40, 0x2E),
                    (0x20, 0x11), (0x21, 0x20), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE)])
                {
                    a.mov(al, value);
                    a.@out(port, al);
                }

                a.mov(__dword_ptr[0xFEC00000u], 0x18);
                a.mov(__dword_ptr[0xFEC00010u], 0x30);
                a.mov(__dword_ptr[(uint)Done], 1);
                var spin = a.CreateLabel();
                a.Label(ref spin);
                a.jmp(spin);
            }));
            first.Start();
            SnapshotGuestWait.ForFlag(first, Done, "program its PIC, IOAPIC and PIT");
            first.Pause();
            saved = VmKvmState.Capture(first.Kvm);
            first.Stop();
            first.WaitForExit(Patience);
        }

        using VirtualMachine second = TestVm.Create(b => b.WithInKernelIrqchip());
        saved.ApplyTo(second.Kvm);
        VmKvmState restored = VmKvmState.Capture(second.Kvm);

        Assert.NotEqual(new byte[saved.Pit!.Length], saved.Pit);
        Assert.Equal(saved.PicMaster, restored.PicMaster);
        Assert.Equal(saved.PicSlave, restored.PicSlave);
        Assert.Equal(saved.Ioapic, restored.Ioapic);
        Assert.Equal(PitWithoutLoadTimes(saved.Pit!), PitWithoutLoadTimes(restored.Pit!));
        Assert.InRange(restored.ClockNanoseconds, saved.ClockNanoseconds, saved.ClockNanoseconds + (ulong)Patience.Ticks * 100);
    }

    /// <summary>A 32-bit guest that writes to port 0x10 each value it reads from port 0x14, forever.</summary>
    private static VirtualMachine EchoGuest(RecordingDevice ports)
    {
        VirtualMachine vm = TestVm.Create(b => b.WithInKernelIrqchip().AddIoDevice(CounterPort, 8, ports));
        TestVm.Load(vm, CpuMode.Protected32, Code32, GuestCode.Assemble(32, Code32, a =>
        {
            var loop = a.CreateLabel();
            a.mov(dx, CounterPort + 4);
            a.Label(ref loop);
            a.@in(eax, dx);
            a.@out((byte)CounterPort, eax);
            a.jmp(loop);
        }));
        return vm;
    }

    private static (VmKvmState Vm, VcpuState Vcpu, byte[] Memory) Capture(VirtualMachine vm)
    {
        SnapshotMsrs msrs = SnapshotMsrs.For(vm.KvmSystem, vm.Vcpus[0].Kvm);
        var memory = new byte[vm.Memory.TotalSize];
        vm.Memory.Read(new GuestAddress(0), memory);
        return (VmKvmState.Capture(vm.Kvm), VcpuState.Capture(vm.Vcpus[0].Kvm, msrs.Indices), memory);
    }

    private static void Restore(VirtualMachine vm, VmKvmState vmState, VcpuState vcpuState, byte[] memory)
    {
        vm.Memory.Write(new GuestAddress(0), memory);
        vmState.ApplyTo(vm.Kvm);
        vcpuState.ApplyTo(vm.Vcpus[0].Kvm);
    }

    /// <summary>The built-in kvmsample guest: 16-bit real mode, an ever-increasing counter written to port 0x10.</summary>
    private static VirtualMachine CountingGuest(RecordingDevice port)
    {
        VirtualMachine vm = TestVm.Create(b => b.WithInKernelIrqchip().AddIoDevice(CounterPort, 2, port));
        vm.Memory.Write(new GuestAddress(LoadAddress), BuiltInGuests.KvmSample);
        CpuModeSetup.EnterRealMode(vm.Vcpus[0].Kvm, (ushort)(LoadAddress >> 4), 0);
        return vm;
    }

    // kvm_pit_channel_state.count_load_time (bytes 16-23 of each 24-byte channel) is the host's ktime at the load.
    private static byte[] PitWithoutLoadTimes(byte[] pit)
    {
        byte[] copy = [.. pit];
        for (int channel = 0; channel < 3; channel++)
        {
            copy.AsSpan((channel * 24) + 16, 8).Clear();
        }

        return copy;
    }
}
