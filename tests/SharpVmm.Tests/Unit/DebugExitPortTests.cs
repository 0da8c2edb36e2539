using SharpVmm.Tests.Support;
using SharpVmm.Devices.Legacy;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class DebugExitPortTests
{
    [Theory]
    [InlineData(new byte[] { 0x00 }, 0u, 1)]
    [InlineData(new byte[] { 0x10 }, 0x10u, 0x21)]
    [InlineData(new byte[] { 0x11 }, 0x11u, 0x23)]
    [InlineData(new byte[] { 0x34, 0x12 }, 0x1234u, 0x2469)]
    [InlineData(new byte[] { 0x78, 0x56, 0x34, 0x12 }, 0x12345678u, 0x2468ACF1)]
    public void A_write_requests_exit_status_value_shifted_left_or_one(byte[] data, uint value, int status)
    {
        var requested = new List<int>();
        var port = new DebugExitPort(requested.Add);

        port.Write(0, data);

        Assert.Equal([status], requested);
        Assert.Equal(value, port.LastValue);
        Assert.Equal(status, port.ExitStatus);
        Assert.Equal(1, port.WriteCount);
    }

    [Fact]
    public void The_status_wraps_to_32_bits_like_qemu()
    {
        var requested = new List<int>();
        var port = new DebugExitPort(requested.Add);

        port.Write(0, [0xFF, 0xFF, 0xFF, 0xFF]);

        Assert.Equal([-1], requested);
        Assert.Equal(0xFFFF_FFFFu, port.LastValue);
        Assert.Equal(unchecked((int)0x8000_0001), DebugExitPort.ToExitStatus(0x4000_0000));
    }

    [Theory]
    [InlineData(1ul)]
    [InlineData(2ul)]
    [InlineData(3ul)]
    public void Every_port_of_the_device_takes_the_write(ulong offset)
    {
        var requested = new List<int>();
        var port = new DebugExitPort(requested.Add);

        port.Write(offset, [0x02]);

        Assert.Equal([5], requested);
    }

    [Fact]
    public void Every_write_is_reported_and_the_last_one_is_kept()
    {
        var requested = new List<int>();
        var port = new DebugExitPort(requested.Add);

        port.Write(0, [0x01]);
        port.Write(0, [0x03]);

        Assert.Equal([3, 7], requested);
        Assert.Equal(3u, port.LastValue);
        Assert.Equal(7, port.ExitStatus);
        Assert.Equal(2, port.WriteCount);
    }

    [Fact]
    public void Reads_return_zero_as_in_qemu()
    {
        var port = new DebugExitPort(_ => { });
        Span<byte> data = [0xAA, 0xAA, 0xAA, 0xAA];

        port.Read(0, data);

        Assert.Equal([0, 0, 0, 0], data.ToArray());
    }

    [Fact]
    public void Nothing_is_recorded_before_a_write_or_for_an_empty_one()
    {
        var requested = new List<int>();
        var port = new DebugExitPort(requested.Add);

        port.Write(0, []);

        Assert.Null(port.LastValue);
        Assert.Null(port.ExitStatus);
        Assert.Equal(0, port.WriteCount);
        Assert.Empty(requested);
    }

    [Fact]
    public void Wider_writes_keep_their_low_four_bytes()
    {
        var requested = new List<int>();
        var port = new DebugExitPort(requested.Add);

        port.Write(0, [0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]);

        Assert.Equal(1u, port.LastValue);
        Assert.Equal([3], requested);
    }

    [Fact]
    public void Default_port_and_size_are_qemus()
    {
        Assert.Equal(0xF4, DebugExitPort.DefaultPort);
        Assert.Equal(4, DebugExitPort.DefaultSize);
    }

    [Fact]
    public void A_callback_is_required()
    {
        Assert.Throws<ArgumentNullException>(() => new DebugExitPort(null!));
    }
}
