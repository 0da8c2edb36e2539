using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices;
using SharpVmm.Devices.Legacy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Snapshot;

[Tier(TestTiers.Unit)]
public sealed class LegacyDeviceStateTests
{
    private const ulong Rbr = 0, Ier = 1, Iir = 2, Lcr = 3, Mcr = 4, Lsr = 5, Scr = 7;

    [Fact]
    public void A_uart_restored_from_its_state_reads_back_the_same_registers_and_fifo()
    {
        using var uart = new Uart8250(Stream.Null);
        uart.Out8(Lcr, 0x80);
        uart.Out8(Rbr, 0x01); // divisor 115200
        uart.Out8(Ier, 0x00);
        uart.Out8(Lcr, 0x03);
        uart.Out8(Mcr, 0x0B); // DTR, RTS, OUT2
        uart.Out8(Scr, 0x5A);
        uart.Out8(Ier, 0x01);
        uart.EnqueueInput("xyz"u8);
        Assert.Equal((byte)'x', uart.In8(Rbr));

        var line = new RecordingInterruptLine();
        using var restored = new Uart8250(Stream.Null, line);
        restored.RestoreState(uart.SaveState());

        Assert.True(line.IsHigh); // received data with IER.RDA and OUT2: the interrupt is pending again
        Assert.Equal(0x03, restored.In8(Lcr));
        Assert.Equal(0x0B, restored.In8(Mcr));
        Assert.Equal(0x5A, restored.In8(Scr));
        Assert.Equal(0x01, restored.In8(Ier));
        Assert.Equal(0x04, restored.In8(Iir) & 0x0F);
        Assert.Equal(0x61, restored.In8(Lsr));
        restored.Out8(Lcr, 0x83);
        Assert.Equal(0x01, restored.In8(Rbr));
        restored.Out8(Lcr, 0x03);
        Assert.Equal((byte)'y', restored.In8(Rbr));
        Assert.Equal((byte)'z', restored.In8(Rbr));
        Assert.False(line.IsHigh);
    }

    [Fact]
    public void A_uart_refuses_an_oversized_fifo_and_stays_as_it_was()
    {
        using var uart = new Uart8250(Stream.Null);
        uart.Out8(Scr, 0x42);
        uart.EnqueueInput("a"u8);
        Uart8250State bad = uart.SaveState() with { Scr = 0x99, ReceiveFifo = new byte[Uart8250.ReceiveBufferSize + 1] };

        var ex = Assert.Throws<DeviceStateException>(() => uart.RestoreState(bad));

        Assert.Contains("ReceiveFifo", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0x42, uart.In8(Scr));
        Assert.Equal((byte)'a', uart.In8(Rbr));
    }

    [Fact]
    public void An_i8042_restored_from_its_state_answers_with_the_same_queue_command_byte_and_keyboard()
    {
        var controller = new I8042Controller();
        controller.Out8(4, 0x60); // write command byte
        controller.Out8(0, 0x05); // no translation, system flag, keyboard interrupt
        controller.Out8(0, 0xF0); // select scan code set
        controller.Out8(0, 0x03);
        controller.Out8(0, 0xED); // set LEDs: argument pending
        controller.EnqueueKeyboardData([0x1C]);

        var irq = new RecordingInterruptLine();
        var restored = new I8042Controller(irq);
        restored.RestoreState(controller.SaveState());

        Assert.Equal(0x05, restored.CommandByte);
        Assert.True(irq.IsHigh);
        Assert.Equal(0xFA, restored.In8(0)); // ack of 0xF0
        Assert.Equal(0xFA, restored.In8(0)); // ack of the set number
        Assert.Equal(0xFA, restored.In8(0)); // ack of 0xED
        Assert.Equal(0x1C, restored.In8(0));
        restored.Out8(0, 0x05); // the LED argument the keyboard was waiting for
        Assert.Equal(0xFA, restored.In8(0));
        restored.Out8(0, 0xF0);
        restored.Out8(0, 0x00); // read the scan code set
        Assert.Equal(0xFA, restored.In8(0));
        Assert.Equal(0xFA, restored.In8(0));
        Assert.Equal(0x03, restored.In8(0));
    }

    [Fact]
    public void An_i8042_refuses_an_output_byte_from_nowhere_and_stays_as_it_was()
    {
        var controller = new I8042Controller();
        controller.EnqueueKeyboardData([0x2A]);
        I8042ControllerState bad = controller.SaveState();
        bad.Output.Add(new I8042OutputByteState { Value = 1, Source = 7 });
        bad.Ram[0] = 0;

        Assert.Throws<DeviceStateException>(() => controller.RestoreState(bad));

        Assert.Equal(I8042Controller.DefaultCommandByte, controller.CommandByte);
        Assert.Equal(0x2A, controller.In8(0));
    }

    [Fact]
    public void A_cmos_rtc_restored_from_its_state_keeps_its_ram_index_and_the_guests_clock()
    {
        var hostClock = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
        var rtc = new CmosRtc(hostClock);
        rtc.Out8(0, 0x0B);
        rtc.Out8(1, 0x06); // binary, 24-hour
        rtc.Out8(0, 0x04);
        rtc.Out8(1, 7); // hours: the guest set its clock to 07:00
        rtc.Out8(0, 0x40);
        rtc.Out8(1, 0xAB); // a CMOS byte
        rtc.Out8(0, 0x40); // leave the index there
        CmosRtcState state = rtc.SaveState();

        var laterHost = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 12, 30, 0, TimeSpan.Zero));
        var restored = new CmosRtc(laterHost);
        restored.RestoreState(state);

        Assert.Equal(0xAB, restored.In8(1)); // the index survived
        Assert.Equal(rtc.GuestTime + TimeSpan.FromMinutes(30), restored.GuestTime);
        restored.Out8(0, 0x04);
        Assert.Equal(7, restored.In8(1)); // binary hours, 07:30
        restored.Out8(0, 0x02);
        Assert.Equal(30, restored.In8(1));
    }

    [Fact]
    public void A_cmos_rtc_refuses_a_short_ram_and_stays_as_it_was()
    {
        var rtc = new CmosRtc(new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero)));
        rtc.Out8(0, 0x40);
        rtc.Out8(1, 0x11);
        CmosRtcState bad = rtc.SaveState() with { Ram = new byte[64], Index = 0x41 };

        Assert.Throws<DeviceStateException>(() => rtc.RestoreState(bad));

        Assert.Equal(0x11, rtc.In8(1));
    }
}
