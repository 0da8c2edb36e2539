using System.Text;
using SharpVmm.Devices.Legacy;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class CoalescedWriteTests
{
    private const ushort DevicePort = 0x500;
    private const int Bytes = 200;

    [Fact]
    public void Coalesced_port_writes_reach_the_device_in_the_guests_order_and_only_the_reads_exit()
    {
        var device = new RecordingDevice((_, _) => 0x20);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 2, device));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            var next = a.CreateLabel();
            a.xor(ecx, ecx);
            a.Label(ref next);
            a.mov(dx, DevicePort);
            a.mov(al, cl);
            a.@out(dx, al); // coalesced: queued by KVM
            a.mov(dx, DevicePort + 1);
            a.@in(al, dx); // exits: the queued write must reach the device first
            a.inc(ecx);
            a.cmp(ecx, Bytes);
            a.jne(next);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        Assert.True(vm.TryCoalesceWrites(DevicePort, 1, isPortIo: true), "KVM refused a coalesced port zone (KVM_CAP_COALESCED_PIO)");

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        (ulong, bool, ulong)[] expected = [.. Enumerable.Range(0, Bytes).SelectMany(i => new[] { (0UL, true, (ulong)i), (1UL, false, 0x20UL) })];
        Assert.Equal(expected, device.Accesses.Select(x => (x.Offset, x.IsWrite, x.Value)).ToArray());
        Assert.Equal(Bytes, vm.CoalescedWriteCount);
        Assert.InRange(vm.ExitCount, Bytes, Bytes + 2); // the reads and the HLT; none of the writes
    }

    [Fact]
    public void A_coalesced_write_that_no_exit_follows_reaches_the_device_while_the_guest_spins()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 1, device));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            var spin = a.CreateLabel();
            a.mov(dx, DevicePort);
            a.mov(al, 0x41);
            a.@out(dx, al);
            a.mov(al, 0x42);
            a.@out(dx, al);
            a.Label(ref spin);
            a.jmp(spin); // no exit ever follows
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        Assert.True(vm.TryCoalesceWrites(DevicePort, 1, isPortIo: true), "KVM refused a coalesced port zone (KVM_CAP_COALESCED_PIO)");

        vm.Start(new VmRunOptions { TimeLimit = TestVm.DefaultTimeLimit });
        bool arrived = SpinWait.SpinUntil(() => device.Accesses.Count == 2, TimeSpan.FromSeconds(10));
        VmState stateWhenArrived = vm.State;
        vm.Stop();
        vm.WaitForExit();

        Assert.True(arrived, "the queued writes never reached the device while the guest ran");
        Assert.Equal(VmState.Running, stateWhenArrived);
        Assert.Equal([0x41UL, 0x42UL], device.Writes.Select(w => w.Value).ToArray());
    }

    [Fact]
    public void A_uarts_line_status_reads_do_not_wait_for_its_queued_bytes_which_still_arrive_whole_and_in_order()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        var observed = new ThrCountingPort(uart);
        using var vm = TestVm.Create(b => b.AddIoDevice(PcPlatform.Com1Port, Uart8250.PortCount, observed));
        string text = string.Concat(Enumerable.Range(0, Bytes).Select(i => (char)('a' + (i % 26))));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            foreach (char c in text)
            {
                SendPolled(a, c);
            }

            a.hlt();
        });
        RunWithCoalescing(vm, uart, code);

        Assert.Equal(text, Encoding.ASCII.GetString(output.ToArray()));
        // Before read i the guest had written i bytes. A read that replayed the queue first would see all of them; here
        // most see fewer: the bytes wait in KVM's ring for the 20 ms timer or for the ring to fill (169 writes).
        int[] seen = [.. observed.ThrWritesAtLsrReads];
        Assert.Equal(Bytes, seen.Length);
        int waiting = Enumerable.Range(0, Bytes).Count(i => seen[i] < i);
        Assert.True(waiting >= Bytes / 2, $"{waiting} of {Bytes} LSR reads saw bytes still queued: {string.Join(' ', seen)}");
        Assert.InRange(vm.CoalescedWriteCount, Bytes - 2, Bytes); // each write queued, but one that met a full ring
    }

    [Fact]
    public void Accesses_to_other_devices_do_not_wait_for_a_uarts_queued_bytes_which_still_arrive_whole_and_in_order()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        var observed = new ThrCountingPort(uart);
        var seenByOther = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var other = new RecordingDevice((_, _) =>
        {
            seenByOther.Enqueue(observed.ThrWrites);
            return 0UL;
        });
        using var vm = TestVm.Create(b => b.AddIoDevice(PcPlatform.Com1Port, Uart8250.PortCount, observed).AddIoDevice(DevicePort, 2, other));
        string text = string.Concat(Enumerable.Range(0, Bytes).Select(i => (char)('a' + (i % 26))));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            foreach (char c in text)
            {
                SendPolled(a, c);
                a.mov(dx, DevicePort + 1);
                a.@in(al, dx); // another device: it cannot tell whether the byte reached the UART yet
            }

            a.hlt();
        });

        RunWithCoalescing(vm, uart, code);

        Assert.Equal(text, Encoding.ASCII.GetString(output.ToArray()));
        int[] seen = [.. seenByOther];
        Assert.Equal(Bytes, seen.Length);
        int waiting = Enumerable.Range(0, Bytes).Count(i => seen[i] <= i); // before read i the guest had written i + 1
        Assert.True(waiting >= Bytes / 2, $"{waiting} of {Bytes} reads of another device saw bytes still queued: {string.Join(' ', seen)}");
    }

    [Fact]
    public void A_uarts_interrupt_enables_written_back_around_each_line_reach_no_device_and_leave_its_bytes_queued()
    {
        const int Lines = 20;
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        var observed = new DeliveryCountingPort(uart);
        using var vm = TestVm.Create(b => b.AddIoDevice(PcPlatform.Com1Port, Uart8250.PortCount, observed));
        string line = "0123456789";
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            for (int i = 0; i < Lines; i++)
            {
                // Linux's console: save IER, clear it, print polled, restore it (IER is 0 here, so both writes put it back).
                a.mov(dx, PcPlatform.Com1Port + 1);
                a.@in(al, dx);
                a.mov(bl, al);
                a.xor(al, al);
                a.@out(dx, al);
                foreach (char c in line)
                {
                    SendPolled(a, c);
                }

                a.mov(dx, PcPlatform.Com1Port + 1);
                a.mov(al, bl);
                a.@out(dx, al);
            }

            a.hlt();
        });
        RunWithCoalescing(vm, uart, code);

        Assert.Equal(string.Concat(Enumerable.Repeat(line, Lines)), Encoding.ASCII.GetString(output.ToArray()));
        Assert.Empty(observed.OtherWrites); // the IER writes were answered on the exit path
        Assert.InRange(vm.CoalescedWriteCount, (Lines * line.Length) - 2, Lines * line.Length);
        // Had each IER write delivered the queue first, every line would have come in a delivery of its own from the
        // vCPU's thread. The replay timer's deliveries, on its own thread, come as often as the host's speed makes them.
        Assert.True(observed.DeliveriesFromVcpus <= Lines / 2, $"{observed.DeliveriesFromVcpus} deliveries of queued bytes on the vCPU's thread for {Lines} lines ({observed.Deliveries} in all)");
    }

    [Fact]
    public void Queued_bytes_reach_the_uart_before_a_write_that_changes_one_of_its_registers()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        var observed = new DeliveryCountingPort(uart);
        using var vm = TestVm.Create(b => b.AddIoDevice(PcPlatform.Com1Port, Uart8250.PortCount, observed));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            foreach (char c in "abc")
            {
                SendPolled(a, c);
            }

            OutByte(a, PcPlatform.Com1Port + 1, 0x01); // IER: receive interrupts, a change
            OutByte(a, PcPlatform.Com1Port + 3, 0x83); // LCR: DLAB, a change
            OutByte(a, PcPlatform.Com1Port, 0x01); // under DLAB the THR's port is the divisor's low byte: queued too
            OutByte(a, PcPlatform.Com1Port + 1, 0x00); // the divisor's high byte, put back: dropped
            OutByte(a, PcPlatform.Com1Port + 3, 0x03); // DLAB off: the queued divisor byte must arrive before it
            SendPolled(a, 'd');
            a.hlt();
        });

        RunWithCoalescing(vm, uart, code);

        Assert.Equal("abcd", Encoding.ASCII.GetString(output.ToArray())); // the divisor byte was never transmitted
        Assert.Equal(0x01, uart.SaveState().DivisorLow);
        Assert.Equal([(1UL, (byte)0x01, 3), (3UL, (byte)0x83, 3), (3UL, (byte)0x03, 4)], observed.OtherWrites);
    }

    private static void OutByte(Iced.Intel.Assembler a, int port, byte value)
    {
        a.mov(dx, (ushort)port);
        a.mov(al, value);
        a.@out(dx, al);
    }

    // Loads the guest, coalesces the UART's THR writes, runs the guest until it halts and flushes the UART's output.
    private static void RunWithCoalescing(VirtualMachine vm, Uart8250 uart, byte[] code, TimeProvider? time = null)
    {
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        Assert.True(SerialWriteCoalescing.Attach(vm, uart, PcPlatform.Com1Port, time ?? TimeProvider.System), "KVM has no coalesced port I/O");

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);
        uart.FlushOutput(TimeSpan.FromSeconds(5));
    }

    private static void SendPolled(Iced.Intel.Assembler a, char c)
    {
        a.mov(dx, PcPlatform.Com1Port + 5);
        a.@in(al, dx); // LSR: the transmitter is always empty here
        a.mov(dx, PcPlatform.Com1Port);
        a.mov(al, (byte)c);
        a.@out(dx, al);
    }

    /// <summary>A UART behind a port that counts the THR writes reaching it and notes the count at each LSR read.</summary>
    private sealed class ThrCountingPort(Uart8250 uart) : SharpVmm.Devices.Bus.IBusDevice
    {
        private int _thrWrites;

        public int ThrWrites => Volatile.Read(ref _thrWrites);

        public System.Collections.Concurrent.ConcurrentQueue<int> ThrWritesAtLsrReads { get; } = new();

        public void Read(ulong offset, Span<byte> data)
        {
            if (offset == Uart8250.LineStatusOffset)
            {
                ThrWritesAtLsrReads.Enqueue(Volatile.Read(ref _thrWrites));
            }

            uart.Read(offset, data);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (offset == 0)
            {
                Interlocked.Increment(ref _thrWrites);
            }

            uart.Write(offset, data);
        }
    }

    /// <summary>A UART, its published registers included, behind a port that counts the deliveries of queued THR bytes
    /// (all of them, and those made on a vCPU's thread) and records every other write reaching it, with how many THR
    /// bytes had reached the UART before it.</summary>
    private sealed class DeliveryCountingPort(Uart8250 uart) : SharpVmm.Devices.Bus.IRepeatedWriteDevice, SharpVmm.Devices.Bus.IPublishesRegisters
    {
        private int _deliveries, _deliveriesFromVcpus, _thrBytes;

        public int Deliveries => Volatile.Read(ref _deliveries);

        public int DeliveriesFromVcpus => Volatile.Read(ref _deliveriesFromVcpus);

        public System.Collections.Concurrent.ConcurrentQueue<(ulong Offset, byte Value, int ThrBytesBefore)> OtherWrites { get; } = new();

        public IReadOnlyList<SharpVmm.Devices.Bus.PublishedRegister> PublishedRegisters => uart.PublishedRegisters;

        public void Read(ulong offset, Span<byte> data) => uart.Read(offset, data);

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (offset != 0)
            {
                OtherWrites.Enqueue((offset, data[0], Volatile.Read(ref _thrBytes)));
            }
            else
            {
                Interlocked.Increment(ref _thrBytes);
            }

            uart.Write(offset, data);
        }

        public void WriteRepeated(ulong offset, int accessSize, ReadOnlySpan<byte> data)
        {
            Interlocked.Increment(ref _deliveries);
            if (Thread.CurrentThread.Name?.StartsWith("vcpu", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref _deliveriesFromVcpus);
            }

            if (offset == 0)
            {
                Interlocked.Add(ref _thrBytes, data.Length);
            }

            uart.WriteRepeated(offset, accessSize, data);
        }
    }
}
