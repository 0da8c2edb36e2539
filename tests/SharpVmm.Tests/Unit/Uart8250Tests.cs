using SharpVmm.Tests.Support;
using SharpVmm.Devices;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Legacy;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class Uart8250Tests
{
    private const ulong Thr = 0, Ier = 1, Iir = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    private sealed class FakeLine : IInterruptLine
    {
        public List<bool> Levels { get; } = [];

        public void SetLevel(bool high) => Levels.Add(high);
    }

    private static byte ReadReg(Uart8250 uart, ulong reg)
    {
        Span<byte> b = [0];
        uart.Read(reg, b);
        return b[0];
    }

    private static void WriteReg(Uart8250 uart, ulong reg, byte value) => uart.Write(reg, [value]);

    [Fact]
    public void Transmitted_bytes_reach_the_output_stream()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);

        WriteReg(uart, Thr, (byte)'4');
        WriteReg(uart, Thr, (byte)'\n');

        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal("4\n"u8.ToArray(), output.ToArray());
        Assert.Equal(2, uart.BytesTransmitted);
    }

    [Fact]
    public void Line_status_reports_an_empty_transmitter_and_received_data()
    {
        using var uart = new Uart8250(Stream.Null);
        Assert.Equal(0x60, ReadReg(uart, Lsr));

        uart.EnqueueInput("ab"u8);

        Assert.Equal(0x61, ReadReg(uart, Lsr));
        Assert.Equal((byte)'a', ReadReg(uart, Thr));
        Assert.Equal((byte)'b', ReadReg(uart, Thr));
        Assert.Equal(0x60, ReadReg(uart, Lsr));
    }

    [Fact]
    public void Divisor_latch_is_reached_through_dlab_and_does_not_transmit()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);

        WriteReg(uart, Lcr, 0x80);
        WriteReg(uart, Thr, 0x01);
        WriteReg(uart, Ier, 0x00);
        Assert.Equal(0x01, ReadReg(uart, Thr));
        WriteReg(uart, Lcr, 0x03);

        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Empty(output.ToArray());
        Assert.Equal(0x03, ReadReg(uart, Lcr));
    }

    [Fact]
    public void Receive_interrupt_is_raised_only_with_out2_and_cleared_by_reading()
    {
        var line = new FakeLine();
        using var uart = new Uart8250(Stream.Null, line);
        WriteReg(uart, Ier, 0x01);

        uart.EnqueueInput("x"u8);
        Assert.Empty(line.Levels); // OUT2 gates the IRQ on a PC

        WriteReg(uart, Mcr, 0x08);
        Assert.Equal([true], line.Levels);
        Assert.Equal(0x04, ReadReg(uart, Iir) & 0x0F);

        ReadReg(uart, Thr);
        Assert.Equal([true, false], line.Levels);
        Assert.Equal(0x01, ReadReg(uart, Iir) & 0x0F);
    }

    [Fact]
    public void Enabling_thr_empty_interrupt_raises_it_at_once_and_reading_iir_clears_it()
    {
        var line = new FakeLine();
        using var uart = new Uart8250(Stream.Null, line);
        WriteReg(uart, Mcr, 0x08);

        WriteReg(uart, Ier, 0x02);
        Assert.Equal([true], line.Levels);

        Assert.Equal(0x02, ReadReg(uart, Iir) & 0x0F);
        Assert.Equal([true, false], line.Levels);
        Assert.Equal(0x01, ReadReg(uart, Iir) & 0x0F);
    }

    [Fact]
    public void Loopback_mode_echoes_to_the_receiver_and_wires_modem_lines()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);

        WriteReg(uart, Mcr, 0x10 | 0x0F);
        WriteReg(uart, Thr, 0x5A);

        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Empty(output.ToArray());
        Assert.Equal(0x5A, ReadReg(uart, Thr));
        Assert.Equal(0xF0, ReadReg(uart, Msr));
    }

    [Fact]
    public void Scratch_register_holds_its_value()
    {
        using var uart = new Uart8250(Stream.Null);
        WriteReg(uart, Scr, 0xA5);
        Assert.Equal(0xA5, ReadReg(uart, Scr));
    }

    [Fact]
    public void Input_beyond_the_buffer_sets_overrun_instead_of_growing()
    {
        using var uart = new Uart8250(Stream.Null);

        uart.EnqueueInput(new byte[Uart8250.ReceiveBufferSize + 10]);

        Assert.Equal(0x02, ReadReg(uart, Lsr) & 0x02);
        Assert.Equal(0x00, ReadReg(uart, Lsr) & 0x02); // reading LSR clears the error
    }

    [Fact]
    public void The_line_status_is_published_while_reading_it_changes_nothing_and_withdrawn_while_an_error_waits_in_it()
    {
        using var uart = new Uart8250(Stream.Null);
        PublishedRegister status = Assert.Single(uart.PublishedRegisters, r => r.Offset == Lsr);

        Assert.True(status.TryRead(out byte empty));
        Assert.Equal(0x60, empty);
        uart.EnqueueInput("a"u8);
        Assert.True(status.TryRead(out byte dataReady));
        Assert.Equal(0x61, dataReady);

        uart.EnqueueInput(new byte[Uart8250.ReceiveBufferSize + 1]); // overrun: the next LSR read must clear it
        Assert.False(status.TryRead(out _));
        Assert.Equal(0x63, ReadReg(uart, Lsr));
        Assert.True(status.TryRead(out byte cleared));
        Assert.Equal(0x61, cleared);
    }

    [Fact]
    public void A_run_of_transmitted_bytes_reaches_the_output_in_order_and_raises_the_thr_empty_interrupt()
    {
        using var output = new MemoryStream();
        var line = new FakeLine();
        using var uart = new Uart8250(output, line);
        WriteReg(uart, Mcr, 0x08); // OUT2
        WriteReg(uart, Ier, 0x02); // THR empty
        Assert.Equal(0x02, ReadReg(uart, Iir) & 0x0F); // reading IIR clears the interrupt
        Assert.False(line.Levels[^1]);

        uart.WriteRepeated(Thr, 1, "hello"u8);

        Assert.True(line.Levels[^1]);
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal("hello"u8.ToArray(), output.ToArray());
        Assert.Equal(5, uart.BytesTransmitted);
    }

    [Fact]
    public void A_run_written_in_loopback_mode_reaches_the_receiver_and_not_the_output()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        WriteReg(uart, Mcr, 0x10);

        uart.WriteRepeated(Thr, 1, "ab"u8);

        Assert.Equal((byte)'a', ReadReg(uart, Thr));
        Assert.Equal((byte)'b', ReadReg(uart, Thr));
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Empty(output.ToArray());
    }

    [Fact]
    public void Output_held_for_batching_reaches_the_stream_when_released_or_flushed()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output) { HoldOutputWakeUps = true };

        uart.WriteRepeated(Thr, 1, "ab"u8);
        uart.ReleaseOutput();
        Assert.True(SpinWait.SpinUntil(() => uart.BytesTransmitted == 2, TimeSpan.FromSeconds(10)));

        WriteReg(uart, Thr, (byte)'c');
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal("abc"u8.ToArray(), output.ToArray());
    }

    [Fact]
    public void Restoring_a_state_with_the_thr_empty_interrupt_on_says_that_writes_must_arrive_at_once()
    {
        using var source = new Uart8250(Stream.Null);
        WriteReg(source, Ier, 0x02);
        Uart8250State saved = source.SaveState();
        using var restored = new Uart8250(Stream.Null);
        int raised = 0;
        restored.ImmediateWritesNeeded += () => raised++;

        restored.RestoreState(saved);

        Assert.True(restored.NeedsImmediateWrites);
        Assert.Equal(1, raised);
    }

    [Fact]
    public void Output_held_and_never_released_reaches_the_stream_by_itself()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        WriteReg(uart, Thr, (byte)'a');
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Thread.Sleep(50); // the output thread goes back to sleep
        uart.HoldOutputWakeUps = true;

        uart.WriteRepeated(Thr, 1, "bc"u8); // nothing releases it: the batching timer is gone

        Assert.True(SpinWait.SpinUntil(() => uart.BytesTransmitted == 3, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Registers_a_read_leaves_unchanged_are_published_with_ier_giving_way_to_the_divisor_under_dlab()
    {
        using var uart = new Uart8250(Stream.Null);
        WriteReg(uart, Ier, 0x05);
        WriteReg(uart, Mcr, 0x0B);
        WriteReg(uart, Scr, 0x5A);
        byte Published(ulong offset) => uart.PublishedRegisters.Single(r => r.Offset == offset).TryRead(out byte v) ? v : throw new InvalidOperationException($"offset {offset} withdrawn");

        Assert.Equal([Ier, Lcr, Mcr, Lsr, Msr, Scr], uart.PublishedRegisters.Select(r => r.Offset).Order());
        Assert.Equal((0x05, 0x0B, 0x5A), (Published(Ier), Published(Mcr), Published(Scr)));
        Assert.Equal(ReadReg(uart, Msr), Published(Msr));

        WriteReg(uart, Lcr, 0x83); // DLAB: offset 1 is the divisor's high byte
        WriteReg(uart, Ier, 0x00);
        Assert.Equal((0x83, 0x00), (Published(Lcr), Published(Ier)));
        WriteReg(uart, Lcr, 0x03);
        Assert.Equal(0x05, Published(Ier));
    }

    [Fact]
    public void Writing_ier_lcr_mcr_or_scr_its_own_value_back_changes_nothing_so_the_bus_may_drop_it()
    {
        var line = new FakeLine();
        using var uart = new Uart8250(Stream.Null, line);
        WriteReg(uart, Mcr, 0x0B); // OUT2: the interrupt reaches the line
        WriteReg(uart, Ier, 0x03); // receive data and THR empty: THR empty is raised at once
        Assert.Equal(0x02, ReadReg(uart, Iir) & 0x0F); // and reading IIR clears it: a rewrite of IER must not raise it again
        WriteReg(uart, Scr, 0x5A);
        uart.EnqueueInput([0x41]);
        PublishedRegister Register(ulong offset) => uart.PublishedRegisters.Single(r => r.Offset == offset);
        string State() => System.Text.Json.JsonSerializer.Serialize(uart.SaveState());

        foreach (ulong offset in new[] { Ier, Lcr, Mcr, Scr })
        {
            Assert.True(Register(offset).TryRead(out byte value));
            Assert.True(Register(offset).IsRewrite(value), $"offset {offset}");
            Assert.False(Register(offset).IsRewrite((byte)(value ^ 0x01)), $"offset {offset}");
            string before = State();
            int levels = line.Levels.Count;

            WriteReg(uart, offset, value);

            Assert.Equal(before, State());
            Assert.Equal(levels, line.Levels.Count);
        }

        Assert.False(Register(Lsr).RewritesChangeNothing);
        Assert.False(Register(Msr).RewritesChangeNothing);
    }

    [Fact]
    public void Leaving_loopback_or_the_thr_empty_interrupt_says_that_writes_may_be_queued_again()
    {
        using var uart = new Uart8250(Stream.Null);
        var events = new List<string>();
        uart.ImmediateWritesNeeded += () => events.Add("needed");
        uart.ImmediateWritesNoLongerNeeded += () => events.Add("no longer");

        WriteReg(uart, Mcr, 0x1B); // loopback
        WriteReg(uart, Scr, 0x01);
        WriteReg(uart, Mcr, 0x0B);
        WriteReg(uart, Ier, 0x02); // THR empty
        WriteReg(uart, Ier, 0x03);
        WriteReg(uart, Ier, 0x01);

        Assert.Equal(["needed", "no longer", "needed", "no longer"], events);
        Assert.False(uart.NeedsImmediateWrites);
    }
}
