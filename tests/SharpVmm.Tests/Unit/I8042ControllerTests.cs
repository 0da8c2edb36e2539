using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Legacy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class I8042ControllerTests
{
    private const ulong Data = I8042Controller.DataOffset, Command = I8042Controller.StatusCommandOffset;
    private const byte Obf = 0x01, Ibf = 0x02, Sys = 0x04, CmdData = 0x08, AuxData = 0x20, Timeout = 0x40;

    private readonly RecordingInterruptLine _kbdIrq = new();
    private readonly RecordingInterruptLine _auxIrq = new();
    private int _resets;

    private I8042Controller NewController() => new(_kbdIrq, _auxIrq, () => _resets++);

    private static byte ReadPort(IBusDevice dev, ulong offset)
    {
        Span<byte> b = [0];
        dev.Read(offset, b);
        return b[0];
    }

    private static void WritePort(IBusDevice dev, ulong offset, byte value) => dev.Write(offset, [value]);

    private static byte Status(I8042Controller c) => ReadPort(c, Command);

    // Runs a controller command the way Linux's i8042_command does: command, parameters, then poll and read replies.
    private static byte[] ControllerCommand(I8042Controller c, byte command, params byte[] parameters)
    {
        WritePort(c, Command, command);
        foreach (byte p in parameters)
        {
            Assert.Equal(0, Status(c) & Ibf);
            WritePort(c, Data, p);
        }

        var replies = new List<byte>();
        while ((Status(c) & Obf) != 0)
        {
            replies.Add(ReadPort(c, Data));
        }

        return [.. replies];
    }

    private static byte[] Drain(I8042Controller c)
    {
        var bytes = new List<byte>();
        while ((Status(c) & Obf) != 0)
        {
            bytes.Add(ReadPort(c, Data));
        }

        return [.. bytes];
    }

    [Fact]
    public void Idle_controller_reports_empty_buffers_and_the_system_flag()
    {
        var c = NewController();

        byte status = Status(c);

        Assert.Equal(0, status & (Obf | Ibf | AuxData | Timeout));
        Assert.Equal(Sys, status & Sys);
    }

    [Fact]
    public void Self_test_answers_0x55_and_interface_tests_answer_0x00()
    {
        var c = NewController();

        Assert.Equal([0x55], ControllerCommand(c, 0xAA));
        Assert.Equal([0x00], ControllerCommand(c, 0xAB));
        Assert.Equal([0x00], ControllerCommand(c, 0xA9));
    }

    [Fact]
    public void Command_byte_is_read_with_0x20_and_written_with_0x60()
    {
        var c = NewController();
        Assert.Equal([I8042Controller.DefaultCommandByte], ControllerCommand(c, 0x20));

        ControllerCommand(c, 0x60, 0x30);

        Assert.Equal([0x30], ControllerCommand(c, 0x20));
        Assert.Equal(0x30, c.CommandByte);
        Assert.Equal(0, Status(c) & Sys); // the status system flag mirrors command byte bit 2
    }

    [Fact]
    public void Cmd_data_bit_tells_which_port_was_written_last()
    {
        var c = NewController();

        WritePort(c, Command, 0x60);
        Assert.Equal(CmdData, Status(c) & CmdData);
        WritePort(c, Data, I8042Controller.DefaultCommandByte);
        Assert.Equal(0, Status(c) & CmdData);
    }

    [Theory]
    [InlineData(0xAD, 0xAE, 0x10)]
    [InlineData(0xA7, 0xA8, 0x20)]
    public void Disable_and_enable_commands_toggle_the_command_byte_bits(byte disable, byte enable, byte bit)
    {
        var c = NewController();

        ControllerCommand(c, disable);
        Assert.Equal(bit, ControllerCommand(c, 0x20)[0] & bit);

        ControllerCommand(c, enable);
        Assert.Equal(0, ControllerCommand(c, 0x20)[0] & bit);
    }

    [Fact]
    public void Output_port_is_read_and_written_and_tracks_a20()
    {
        var c = NewController();
        Assert.True(c.A20Enabled);

        ControllerCommand(c, 0xD1, 0x01);

        Assert.Equal([0x01], ControllerCommand(c, 0xD0));
        Assert.False(c.A20Enabled);
        Assert.Equal(0, _resets);
    }

    [Fact]
    public void Pulsing_the_reset_line_calls_the_reset_callback()
    {
        var c = NewController();

        WritePort(c, Command, 0xFE);

        Assert.Equal(1, _resets);
        Assert.Equal(1, c.ResetRequests);
    }

    [Fact]
    public void Pulse_commands_without_the_reset_bit_do_not_reset()
    {
        var c = NewController();

        WritePort(c, Command, 0xFF);
        WritePort(c, Command, 0xF1);

        Assert.Equal(0, _resets);
    }

    [Fact]
    public void Writing_the_output_port_with_reset_low_resets()
    {
        var c = NewController();

        ControllerCommand(c, 0xD1, 0xFE);

        Assert.Equal(1, _resets);
    }

    [Fact]
    public void Reset_without_a_callback_is_only_counted()
    {
        var c = new I8042Controller();

        WritePort(c, Command, 0xFE);

        Assert.Equal(1, c.ResetRequests);
    }

    [Fact]
    public void Keyboard_reset_is_acknowledged_then_reports_self_test_passed()
    {
        var c = NewController();

        WritePort(c, Data, 0xFF);

        Assert.Equal([0xFA, 0xAA], Drain(c));
    }

    [Theory]
    [InlineData(0xF4)]
    [InlineData(0xF5)]
    [InlineData(0xF6)]
    [InlineData(0xF8)]
    public void Keyboard_commands_are_acknowledged(byte command)
    {
        var c = NewController();

        WritePort(c, Data, command);

        Assert.Equal([0xFA], Drain(c));
    }

    [Fact]
    public void Keyboard_commands_with_an_argument_acknowledge_both_bytes()
    {
        var c = NewController();

        WritePort(c, Data, 0xED);
        WritePort(c, Data, 0x07);
        WritePort(c, Data, 0xF3);
        WritePort(c, Data, 0x20);

        Assert.Equal([0xFA, 0xFA, 0xFA, 0xFA], Drain(c));
    }

    [Fact]
    public void Keyboard_id_reads_through_translation()
    {
        var c = NewController();

        WritePort(c, Data, 0xF2);
        Assert.Equal([0xFA, 0xAB, 0x41], Drain(c));

        ControllerCommand(c, 0x60, 0x01); // translation off
        WritePort(c, Data, 0xF2);
        Assert.Equal([0xFA, 0xAB, 0x83], Drain(c));
    }

    [Fact]
    public void Keyboard_echo_and_scan_code_set_query()
    {
        var c = NewController();
        ControllerCommand(c, 0x60, 0x00);

        WritePort(c, Data, 0xEE);
        Assert.Equal([0xEE], Drain(c));

        WritePort(c, Data, 0xF0);
        WritePort(c, Data, 0x00);
        Assert.Equal([0xFA, 0xFA, 0x02], Drain(c));
    }

    [Fact]
    public void A_byte_that_is_no_keyboard_command_asks_for_a_resend()
    {
        var c = NewController();

        WritePort(c, Data, 0x42);

        Assert.Equal([0xFE], Drain(c));
    }

    [Fact]
    public void Writing_to_the_keyboard_reenables_its_interface()
    {
        var c = NewController();
        ControllerCommand(c, 0xAD);

        WritePort(c, Data, 0xF4);

        Assert.Equal([0xFA], Drain(c));
        Assert.Equal(0, c.CommandByte & 0x10);
    }

    [Fact]
    public void Keyboard_interrupt_follows_output_data_and_the_command_byte()
    {
        var c = NewController();

        c.EnqueueKeyboardData([0x1E]);
        Assert.Equal([true], _kbdIrq.Levels);
        Assert.Equal(Obf, Status(c) & (Obf | AuxData));

        Assert.Equal(0x1E, ReadPort(c, Data));
        Assert.Equal([true, false], _kbdIrq.Levels);
        Assert.Empty(_auxIrq.Levels);
    }

    [Fact]
    public void Keyboard_interrupt_stays_low_when_disabled_in_the_command_byte()
    {
        var c = NewController();
        ControllerCommand(c, 0x60, 0x44); // KBDINT clear

        WritePort(c, Data, 0xFF);

        Assert.Equal(Obf, Status(c) & Obf);
        Assert.Empty(_kbdIrq.Levels);
    }

    [Fact]
    public void Each_queued_byte_gives_a_new_interrupt_edge()
    {
        var c = NewController();

        WritePort(c, Data, 0xFF);
        ReadPort(c, Data);
        ReadPort(c, Data);

        Assert.Equal([true, false, true, false], _kbdIrq.Levels);
    }

    [Fact]
    public void Keyboard_data_waits_while_the_keyboard_interface_is_disabled_and_replies_overtake_it()
    {
        var c = NewController();
        ControllerCommand(c, 0xAD);

        c.EnqueueKeyboardData([0x1E]);
        Assert.Equal(0, Status(c) & Obf);

        Assert.Equal([0x55], ControllerCommand(c, 0xAA));
        WritePort(c, Command, 0xAE);
        Assert.Equal([0x1E], Drain(c));
    }

    [Fact]
    public void Aux_loopback_returns_the_byte_as_aux_data_with_irq12()
    {
        var c = NewController();

        WritePort(c, Command, 0xD3);
        WritePort(c, Data, 0x5A);

        Assert.Equal(Obf | AuxData, Status(c) & (Obf | AuxData));
        Assert.Equal([true], _auxIrq.Levels);
        Assert.Empty(_kbdIrq.Levels);
        Assert.Equal(0x5A, ReadPort(c, Data));
        Assert.Equal([true, false], _auxIrq.Levels);
    }

    [Fact]
    public void Aux_loopback_answers_at_once_while_the_aux_interface_is_disabled_as_linux_mux_probe_expects()
    {
        var c = NewController();
        ControllerCommand(c, 0xA7); // i8042_check_aux ends with AUX disabled; i8042_check_mux then loops three bytes

        foreach (byte b in new byte[] { 0xF0, 0x56, 0xA4 })
        {
            WritePort(c, Command, 0xD3);
            WritePort(c, Data, b);
            Assert.Equal(Obf | AuxData, Status(c) & (Obf | AuxData)); // no wait: Linux polls 10 000 times for it otherwise
            Assert.Equal(b, ReadPort(c, Data)); // a plain controller echoes the third byte too: not a multiplexer
        }
    }

    [Fact]
    public void Keyboard_buffer_write_shows_at_once_even_with_the_keyboard_interface_disabled()
    {
        var c = NewController();
        ControllerCommand(c, 0xAD);

        WritePort(c, Command, 0xD2);
        WritePort(c, Data, 0x9C);

        Assert.Equal(0x9C, ReadPort(c, Data));
    }

    [Fact]
    public void Keyboard_buffer_write_returns_the_byte_as_keyboard_data()
    {
        var c = NewController();

        WritePort(c, Command, 0xD2);
        WritePort(c, Data, 0x9C);

        Assert.Equal(Obf, Status(c) & (Obf | AuxData));
        Assert.Equal(0x9C, ReadPort(c, Data));
    }

    [Fact]
    public void Write_to_the_empty_aux_port_is_answered_at_once_with_a_timeout()
    {
        var c = NewController();

        WritePort(c, Command, 0xD4);
        WritePort(c, Data, 0xF2);

        Assert.Equal(Obf | AuxData | Timeout, Status(c) & (Obf | AuxData | Timeout));
        Assert.Equal(0xFE, ReadPort(c, Data));
        Assert.Equal(0, Status(c) & (Obf | Timeout));
    }

    [Fact]
    public void Output_buffer_is_bounded_and_overflow_is_counted()
    {
        var c = NewController();

        c.EnqueueKeyboardData(new byte[I8042Controller.OutputBufferDepth + 4]);

        Assert.Equal(I8042Controller.OutputBufferDepth, Drain(c).Length);
        Assert.Equal(4, c.IgnoredGuestAccesses);
    }

    [Fact]
    public void Empty_data_port_repeats_the_last_byte()
    {
        var c = NewController();
        ControllerCommand(c, 0xAA);

        Assert.Equal(0x55, ReadPort(c, Data));
    }

    [Fact]
    public void Unknown_commands_and_unused_offsets_are_harmless()
    {
        var c = NewController();

        WritePort(c, Command, 0xA1);
        WritePort(c, 2, 0x12);

        Assert.Equal(0xFF, ReadPort(c, 1));
        Assert.Equal(0, Status(c) & Obf);
        Assert.Equal(1, c.IgnoredGuestAccesses);
    }

    [Fact]
    public void Separate_port_views_reach_the_same_controller()
    {
        var c = NewController();

        WritePort(c.StatusCommandPort, 0, 0xAA);

        Assert.Equal(Obf, ReadPort(c.StatusCommandPort, 0) & Obf);
        Assert.Equal(0x55, ReadPort(c.DataPort, 0));
        Assert.Equal(0xFF, ReadPort(c.DataPort, 1));
    }

    [Fact]
    public void The_status_register_is_published_as_a_read_would_return_it_whether_the_ports_are_registered_apart_or_as_a_window()
    {
        var c = NewController();
        var apart = new IoBus();
        apart.Register(0x60, 1, c.DataPort);
        apart.Register(0x64, 1, c.StatusCommandPort);
        var window = new IoBus();
        window.Register(0x60, I8042Controller.PortCount, c);
        void AssertPublished()
        {
            byte status = Status(c);
            Assert.True(apart.TryReadPublished(0x64, out byte seenApart));
            Assert.True(window.TryReadPublished(0x64, out byte seenInWindow));
            Assert.Equal((status, status), (seenApart, seenInWindow));
        }

        AssertPublished();
        Assert.Equal(Sys, Status(c) & (Obf | Sys)); // idle
        WritePort(c, Command, 0xAA); // self-test: 0x55 waits in the output buffer
        AssertPublished();
        Assert.Equal(Obf | CmdData, Status(c) & (Obf | CmdData));
        Assert.Equal(0x55, ReadPort(c, Data));
        AssertPublished();
        c.EnqueueKeyboardData([0x1C]);
        AssertPublished();
        Assert.Equal(Obf, Status(c) & Obf);
        Assert.False(apart.TryReadPublished(0x60, out _)); // the data port is never published: reading it takes a byte
    }

    [Fact]
    public void Wide_reads_fill_the_upper_bytes_with_zero()
    {
        var c = NewController();
        ControllerCommand(c, 0xAA);
        Span<byte> wide = [0xEE, 0xEE];

        c.Read(Data, wide);

        Assert.Equal([0x55, 0x00], wide.ToArray());
    }

    [Fact]
    public void Linux_probe_sequence_completes()
    {
        var c = NewController();

        // i8042_controller_check / selftest / init, as drivers/input/serio/i8042.c does them.
        Assert.Empty(Drain(c));
        Assert.Equal([0x55], ControllerCommand(c, 0xAA));
        byte ctr = ControllerCommand(c, 0x20).Single();
        ctr = (byte)((ctr | 0x10) & ~0x01);
        ControllerCommand(c, 0x60, ctr);

        // i8042_check_aux: loopback, then the AUX disable/enable bit test.
        WritePort(c, Command, 0xD3);
        WritePort(c, Data, 0x5A);
        Assert.Equal(AuxData, Status(c) & AuxData);
        Assert.Equal(0x5A, ReadPort(c, Data));
        ControllerCommand(c, 0xA7);
        Assert.Equal(0x20, ControllerCommand(c, 0x20)[0] & 0x20);
        ControllerCommand(c, 0xA8);
        Assert.Equal(0, ControllerCommand(c, 0x20)[0] & 0x20);

        // i8042_enable_kbd_port, then atkbd's probe over the keyboard port.
        ctr = ControllerCommand(c, 0x20).Single();
        ControllerCommand(c, 0x60, (byte)((ctr & ~0x10) | 0x01));
        WritePort(c, Data, 0xF2);
        Assert.Equal([0xFA, 0xAB, 0x41], Drain(c));
        Assert.Equal(0, _resets);
    }
}
