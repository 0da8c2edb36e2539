using System.Text;
using SharpVmm.Devices.Legacy;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

// The UART's coalescing zone leaves KVM on the zone-change timer's thread, armed by the replay timer's tick once the
// clock has moved on by LeavingDelay; HeldTimers lets each test say when the clock moves and the zone change runs.
[Tier(TestTiers.KvmFast)]
public class SerialWriteCoalescingLeavingTests
{
    private const ushort ReportPort = 0x80;
    private const ushort ZoneChangePort = 0x81; // a write here runs the due zone change, on the vCPU's thread
    private const byte ChangeDueNow = 0; // written to ZoneChangePort: run the zone change already due, if any
    private const byte LeaveAfterDelay = 1; // written to ZoneChangePort: move the clock on by LeavingDelay, wait for the
                                            // replay timer's tick to arm the zone's leaving, and run it

    [Fact]
    public void In_loopback_before_the_zone_has_left_the_line_status_already_shows_the_byte_just_written()
    {
        var report = new RecordingDevice();
        (string output, VirtualMachine vm) = Run(report, a =>
        {
            SendPolled(a, "ab");
            OutByte(a, PcPlatform.Com1Port + 4, 0x1B); // MCR: loopback; the zone is to leave
            OutByte(a, PcPlatform.Com1Port, (byte)'x'); // still queued
            InToReport(a, PcPlatform.Com1Port + 5); // LSR: delivers the queue first, so data is ready
            InToReport(a, PcPlatform.Com1Port); // RBR: the byte
            OutByte(a, PcPlatform.Com1Port + 4, 0x0B); // loopback off before the zone left: it stays
            SendPolled(a, "cd");
        });

        using (vm)
        {
            Assert.Equal("abcd", output); // the looped-back byte is not transmitted
            ulong[] reported = [.. report.Writes.Select(w => w.Value)];
            Assert.Equal(2, reported.Length);
            Assert.Equal(0x01UL, reported[0] & 0x01); // LSR: data ready
            Assert.Equal((ulong)'x', reported[1]);
            Assert.Equal(5, vm.CoalescedWriteCount); // a, b, x, c, d: the zone never left
        }
    }

    [Fact]
    public void Bytes_written_after_the_thr_empty_interrupt_comes_on_arrive_in_order_and_exit_once_the_zone_has_left()
    {
        (string output, VirtualMachine vm) = Run(new RecordingDevice(), a =>
        {
            SendPolled(a, "ab");
            OutByte(a, PcPlatform.Com1Port + 1, 0x02); // IER: THR empty; the zone is to leave
            OutByte(a, PcPlatform.Com1Port, (byte)'c'); // still queued
            a.mov(dx, PcPlatform.Com1Port + 2);
            a.@in(al, dx); // IIR: delivers the queue first
            OutByte(a, ZoneChangePort, LeaveAfterDelay); // the zone leaves now
            OutByte(a, PcPlatform.Com1Port, (byte)'d'); // exits
            OutByte(a, PcPlatform.Com1Port, (byte)'e');
        });

        using (vm)
        {
            Assert.Equal("abcde", output);
            Assert.Equal(3, vm.CoalescedWriteCount); // a, b, c
        }
    }

    [Fact]
    public void An_interrupt_enable_probe_undone_before_the_zone_left_keeps_it_and_the_line_status_answered_in_the_run_loop()
    {
        const string Text = "after the probe";
        (string output, VirtualMachine vm) = Run(new RecordingDevice(), a =>
        {
            SendPolled(a, "ab");
            OutByte(a, PcPlatform.Com1Port + 1, 0x0F); // IER: everything, as the 8250 driver's probe writes it
            a.mov(dx, PcPlatform.Com1Port + 1);
            a.@in(al, dx);
            OutByte(a, PcPlatform.Com1Port + 1, 0x00); // and back: the zone stays
            SendPolled(a, Text);
            OutByte(a, ZoneChangePort, ChangeDueNow); // the zone change was called off: nothing leaves
            SendPolled(a, "!");
        });

        using (vm)
        {
            Assert.Equal("ab" + Text + "!", output);
            Assert.Equal(2 + Text.Length + 1, vm.CoalescedWriteCount);
            // Its confines hold again: the line status reads after the probe need no replay, and the run loop answers them.
            Assert.True(vm.Vcpus[0].ExitsAnsweredInRunLoop >= Text.Length, $"{vm.Vcpus[0].ExitsAnsweredInRunLoop} answered in the run loop");
        }
    }

    [Fact]
    public void The_vcpu_that_turns_the_thr_empty_interrupt_on_arms_no_timer_and_the_replay_timers_tick_has_the_zone_leave()
    {
        var fired = new List<int>();
        (string output, VirtualMachine vm) = Run(new RecordingDevice(), a =>
        {
            SendPolled(a, "ab");
            OutByte(a, PcPlatform.Com1Port + 1, 0x02); // IER: THR empty; the zone is to leave
            OutByte(a, ZoneChangePort, ChangeDueNow); // nothing is due: no timer was armed by this vCPU
            OutByte(a, ZoneChangePort, LeaveAfterDelay); // the tick after LeavingDelay arms the zone change: it leaves
            OutByte(a, PcPlatform.Com1Port, (byte)'c'); // exits
        }, fired);

        using (vm)
        {
            Assert.Equal("abc", output);
            Assert.Equal([0, 1], fired);
            Assert.Equal(2, vm.CoalescedWriteCount); // a, b
        }
    }

    [Fact]
    public void A_uart_coalesces_again_the_moment_the_guest_leaves_loopback_but_not_when_it_keeps_coming_back()
    {
        (string output, VirtualMachine vm) = Run(new RecordingDevice(), a =>
        {
            foreach (string part in new[] { "ab", "cd" })
            {
                SendPolled(a, part);
                OutByte(a, PcPlatform.Com1Port + 4, 0x1B); // MCR: loopback, as the 8250 driver's probe sets it
                OutByte(a, ZoneChangePort, LeaveAfterDelay); // the zone leaves
                OutByte(a, PcPlatform.Com1Port + 4, 0x0B);
                OutByte(a, ZoneChangePort, ChangeDueNow); // and comes back, unless the guest is toggling
            }

            SendPolled(a, "ef");
            OutByte(a, PcPlatform.Com1Port + 4, 0x1B); // no zone to leave now
            OutByte(a, ZoneChangePort, ChangeDueNow);
            OutByte(a, PcPlatform.Com1Port + 4, 0x0B);
            OutByte(a, ZoneChangePort, ChangeDueNow);
        });

        using (vm)
        {
            Assert.Equal("abcdef", output);
            // "ab" and, coalescing having resumed at once after the first probe, "cd"; the second probe came right after
            // that resumption, so coalescing waits for a quiet time, which never passes on this clock: "ef" exits.
            Assert.Equal(4, vm.CoalescedWriteCount);
        }
    }

    // fired, if given, gets how many timers each write to ZoneChangePort ran.
    private static (string Output, VirtualMachine Vm) Run(RecordingDevice report, Action<Iced.Intel.Assembler> program, List<int>? fired = null)
    {
        var timers = new HeldTimers();
        var zoneChange = new RecordingDevice();
        zoneChange.Written += () =>
        {
            if (zoneChange.Writes.Last().Value == LeaveAfterDelay)
            {
                timers.Advance(SerialWriteCoalescing.LeavingDelay);
                // The replay timer ticks every 20 ms or sooner while the zone is registered.
                Assert.True(SpinWait.SpinUntil(() => timers.Pending > 0, TimeSpan.FromSeconds(60)), "no tick of the replay timer armed the zone's leaving");
            }

            int ran = timers.FirePending();
            fired?.Add(ran);
        };
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        VirtualMachine vm = TestVm.Create(b => b.AddIoDevice(PcPlatform.Com1Port, Uart8250.PortCount, uart)
            .AddIoDevice(ReportPort, 1, report).AddIoDevice(ZoneChangePort, 1, zoneChange));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            program(a);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        Assert.True(SerialWriteCoalescing.Attach(vm, uart, PcPlatform.Com1Port, timers), "KVM has no coalesced port I/O");

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);
        uart.FlushOutput(TimeSpan.FromSeconds(5));
        return (Encoding.ASCII.GetString(output.ToArray()), vm);
    }

    private static void SendPolled(Iced.Intel.Assembler a, string text)
    {
        foreach (char c in text)
        {
            a.mov(dx, PcPlatform.Com1Port + 5);
            a.@in(al, dx); // LSR: the transmitter is always empty here
            OutByte(a, PcPlatform.Com1Port, (byte)c);
        }
    }

    private static void InToReport(Iced.Intel.Assembler a, int port)
    {
        a.mov(dx, (ushort)port);
        a.@in(al, dx);
        a.@out((byte)ReportPort, al);
    }

    private static void OutByte(Iced.Intel.Assembler a, int port, byte value)
    {
        a.mov(dx, (ushort)port);
        a.mov(al, value);
        a.@out(dx, al);
    }
}
