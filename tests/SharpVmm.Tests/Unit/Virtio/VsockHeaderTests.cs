using SharpVmm.Devices.Virtio.Vsock;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public class VsockHeaderTests
{
    [Fact]
    public void A_header_encodes_to_44_little_endian_bytes_in_the_spec_order_and_decodes_back()
    {
        var header = new VsockHeader
        {
            SourceCid = 0x0102030405060708,
            DestinationCid = 2,
            SourcePort = 0x11223344,
            DestinationPort = 1234,
            Length = 5,
            Type = VsockHeader.TypeStream,
            Op = (ushort)VsockOp.ReadWrite,
            Flags = 3,
            BufferAllocation = 0x10000,
            ForwardCount = 0xAABBCCDD,
        };
        var raw = new byte[VsockHeader.Size];
        header.Encode(raw);

        Assert.Equal(44, VsockHeader.Size);
        Assert.Equal([8, 7, 6, 5, 4, 3, 2, 1], raw[0..8]);
        Assert.Equal([2, 0, 0, 0, 0, 0, 0, 0], raw[8..16]);
        Assert.Equal([0x44, 0x33, 0x22, 0x11], raw[16..20]);
        Assert.Equal([0xD2, 0x04, 0, 0], raw[20..24]);
        Assert.Equal([5, 0, 0, 0], raw[24..28]);
        Assert.Equal([1, 0], raw[28..30]);   // type STREAM
        Assert.Equal([5, 0], raw[30..32]);   // op RW
        Assert.Equal([3, 0, 0, 0], raw[32..36]);
        Assert.Equal([0, 0, 1, 0], raw[36..40]);
        Assert.Equal([0xDD, 0xCC, 0xBB, 0xAA], raw[40..44]);
        Assert.Equal(header, VsockHeader.Decode(raw));
        Assert.Equal(VsockOp.ReadWrite, VsockHeader.Decode(raw).Operation);
    }

    [Fact]
    public void A_short_buffer_is_refused_both_ways()
    {
        Assert.Throws<ArgumentException>(() => VsockHeader.Decode(new byte[43]));
        Assert.Throws<ArgumentException>(() => default(VsockHeader).Encode(new byte[43]));
    }

    [Theory]
    [InlineData("CONNECT 52\n", 52u)]
    [InlineData("CONNECT 0\n", 0u)]
    [InlineData("CONNECT 4294967295\r\n", 4294967295u)]
    public void A_connect_line_gives_its_port(string line, uint port)
    {
        Assert.True(VsockConnectLine.TryParse(System.Text.Encoding.ASCII.GetBytes(line), out uint parsed));
        Assert.Equal(port, parsed);
    }

    [Theory]
    [InlineData("CONNECT 52")]
    [InlineData("connect 52\n")]
    [InlineData("CONNECT\n")]
    [InlineData("CONNECT \n")]
    [InlineData("CONNECT -1\n")]
    [InlineData("CONNECT 4294967296\n")]
    [InlineData("CONNECT 52 \n")]
    [InlineData("CONNECT 0x10\n")]
    [InlineData("LISTEN 52\n")]
    [InlineData("CONNECT 00000000000000000000052\n")]
    public void A_malformed_connect_line_is_refused(string line)
    {
        Assert.False(VsockConnectLine.TryParse(System.Text.Encoding.ASCII.GetBytes(line), out _));
    }

    [Fact]
    public void The_answer_line_is_OK_and_the_host_port()
    {
        Assert.Equal("OK 1073741824\n"u8.ToArray(), VsockConnectLine.Ok(1u << 30));
    }
}
