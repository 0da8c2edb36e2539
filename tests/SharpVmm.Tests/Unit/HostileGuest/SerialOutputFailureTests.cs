using SharpVmm.Devices.Legacy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.HostileGuest;

[Tier(TestTiers.Unit)]
public class SerialOutputFailureTests
{
    private const ulong Thr = 0, Lsr = 5;

    [Fact]
    public void A_failing_serial_output_stops_output_counts_the_lost_bytes_and_reports_once()
    {
        var output = new FailingStream(acceptedBytes: 2);
        var failures = new List<Exception>();
        using var uart = new Uart8250(output) { OutputFailed = failures.Add };

        foreach (byte b in "he"u8)
        {
            uart.Write(Thr, [b]);
        }

        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10))); // what fits reaches the stream
        foreach (byte b in "llo"u8)
        {
            uart.Write(Thr, [b]); // must not throw: the guest's write is not the host's problem
        }

        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal("he"u8.ToArray(), output.Accepted.ToArray());
        Assert.Equal(2, uart.BytesTransmitted);
        Assert.Equal(3, uart.BytesLost);
        Assert.IsType<IOException>(uart.OutputError);
        Assert.Single(failures);
        Assert.Equal(1, output.FailedCalls); // nothing more is tried once output failed
    }

    [Fact]
    public void The_writer_hands_the_stream_a_burst_of_output_in_one_write_not_a_byte_at_a_time()
    {
        var output = new FailingStream(acceptedBytes: int.MaxValue); // never fails here
        using var uart = new Uart8250(output);
        uart.Write(Thr, [(byte)'>']);
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10))); // the writer has written it and sleeps again

        byte[] line = "a line of the boot log\r\n"u8.ToArray();
        uart.HoldOutputWakeUps = true; // the line waits until it is released (or for 100 ms at most)
        foreach (byte b in line)
        {
            uart.Write(Thr, [b]);
        }

        uart.ReleaseOutput();
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal([(byte)'>', .. line], output.Accepted.ToArray());
        int lineWrites = output.Writes - 1;
        Assert.True(lineWrites <= 2, $"{line.Length} bytes took {lineWrites} writes"); // 2 only if the host stalled the test for 100 ms
    }

    [Fact]
    public void The_guest_still_sees_an_empty_transmitter_after_the_output_failed()
    {
        using var uart = new Uart8250(new FailingStream(acceptedBytes: 0));
        uart.Write(Thr, [(byte)'x']);

        byte[] lsr = new byte[1];
        uart.Read(Lsr, lsr);

        Assert.Equal(0x60, lsr[0] & 0x60); // THR empty and transmitter empty: a polling guest does not spin forever
        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, uart.BytesLost);
    }
}
