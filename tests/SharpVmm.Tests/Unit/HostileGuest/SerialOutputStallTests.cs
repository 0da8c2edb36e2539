using System.Diagnostics;
using SharpVmm.Devices.Legacy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.HostileGuest;

/// <summary>A stalled reader of COM1's output stalls the UART's writer thread, never the vCPU that transmits.</summary>
[Tier(TestTiers.Unit)]
public sealed class SerialOutputStallTests
{
    private const ulong Thr = 0, Lsr = 5;

    /// <summary>A stream whose writes block until released (a terminal nobody reads, a full pipe).</summary>
    private sealed class BlockingStream : Stream
    {
        private readonly ManualResetEventSlim _release = new();

        public ManualResetEventSlim Entered { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public void Release() => _release.Set();

        public override void Flush()
        {
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Entered.Set();
            _release.Wait();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _release.Set();
                _release.Dispose();
                Entered.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    [Fact]
    public void A_stream_that_never_returns_does_not_block_the_transmitting_vcpu_and_the_overflow_is_counted()
    {
        using var output = new BlockingStream();
        using var uart = new Uart8250(output);
        uart.Write(Thr, [(byte)'a']);
        Assert.True(output.Entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "the writer did not start");

        int sent = (2 * Uart8250.OutputBufferSize) + 100;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < sent; i++)
        {
            uart.Write(Thr, [(byte)i]);
        }

        clock.Stop();
        Span<byte> lsr = [0];
        uart.Read(Lsr, lsr);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{sent} transmits took {clock.Elapsed}");
        Assert.Equal(0x60, lsr[0] & 0x60); // the guest still sees its transmitter empty at once
        Assert.Equal(sent - Uart8250.OutputBufferSize, uart.BytesLost); // the buffer holds what fits; the rest is dropped
        Assert.False(uart.FlushOutput(TimeSpan.FromMilliseconds(100))); // a flush is bounded too
        Assert.Null(uart.OutputError);

        var dispose = Stopwatch.StartNew();
        uart.Dispose(); // drains for a short while only, then leaves the writer to the stream
        Assert.True(dispose.Elapsed < TimeSpan.FromSeconds(5), $"dispose took {dispose.Elapsed}");
        output.Release();
    }

    [Fact]
    public void A_normal_stream_gets_every_byte_in_order()
    {
        using var output = new MemoryStream();
        using var uart = new Uart8250(output);
        byte[] sent = new byte[3 * Uart8250.OutputBufferSize / 2];
        Random.Shared.NextBytes(sent);

        // Paced like a guest: the writer keeps up, so nothing is dropped, across ring wrap-arounds.
        for (int i = 0; i < sent.Length; i++)
        {
            uart.Write(Thr, [sent[i]]);
            if (i % 4096 == 4095)
            {
                Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
            }
        }

        Assert.True(uart.FlushOutput(TimeSpan.FromSeconds(10)));
        Assert.Equal(sent, output.ToArray());
        Assert.Equal(sent.Length, uart.BytesTransmitted);
        Assert.Equal(0, uart.BytesLost);
    }

    [Fact]
    public void Dispose_drains_what_is_queued()
    {
        using var output = new MemoryStream();
        var uart = new Uart8250(output);
        foreach (byte b in "bye\n"u8)
        {
            uart.Write(Thr, [b]);
        }

        uart.Dispose();

        Assert.Equal("bye\n"u8.ToArray(), output.ToArray());
    }
}
