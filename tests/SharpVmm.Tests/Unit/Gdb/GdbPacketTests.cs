using System.Text;
using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Gdb;

[Tier(TestTiers.Unit)]
public class GdbPacketTests
{
    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    [Fact]
    public void Frame_wraps_the_payload_with_its_checksum_in_lowercase_hex()
    {
        Assert.Equal("$OK#9a", Latin1(GdbPacket.Frame("OK"u8)));
        Assert.Equal("$#00", Latin1(GdbPacket.Frame(""u8)));
        Assert.Equal("$S05#b8", Latin1(GdbPacket.Frame("S05")));
    }

    [Fact]
    public void Frame_escapes_hash_dollar_brace_and_star_and_sums_the_escaped_bytes()
    {
        byte[] packet = GdbPacket.Frame("a#$}*b"u8);

        Assert.Equal("$a}\u0003}\u0004}]}\nb#", Latin1(packet[..^2]));
        Assert.Equal(GdbPacket.Checksum(packet.AsSpan(1, packet.Length - 4)).ToString("x2"), Latin1(packet[^2..]));
    }

    [Fact]
    public void Checksum_is_the_byte_sum_modulo_256()
    {
        Assert.Equal((byte)0, GdbPacket.Checksum([]));
        Assert.Equal((byte)0x67, GdbPacket.Checksum("g"u8));
        Assert.Equal((byte)0x01, GdbPacket.Checksum([0xFF, 0x02]));
    }

    [Fact]
    public void Unescape_turns_an_escaped_byte_back_and_leaves_others_alone()
    {
        Assert.Equal([(byte)'a', (byte)'#', 0x7D, (byte)'b'], GdbPacket.Unescape("a}\u0003}]b"u8));
        Assert.Equal("plain"u8.ToArray(), GdbPacket.Unescape("plain"u8));
    }

    [Fact]
    public void Unescape_drops_a_lone_escape_at_the_end()
    {
        Assert.Equal("ab"u8.ToArray(), GdbPacket.Unescape("ab}"u8));
    }

    [Fact]
    public void ToHex_writes_two_lowercase_digits_per_byte()
    {
        Assert.Equal("00ff7f0a", GdbPacket.ToHex([0x00, 0xFF, 0x7F, 0x0A]));
        Assert.Equal("", GdbPacket.ToHex([]));
    }

    [Fact]
    public void ParseHex_reads_either_case_and_rejects_odd_lengths_and_non_hex()
    {
        Assert.Equal([0xAB, 0xCD, 0x01], GdbPacket.ParseHex("abCD01")!);
        Assert.Equal([], GdbPacket.ParseHex("")!);
        Assert.Null(GdbPacket.ParseHex("abc"));
        Assert.Null(GdbPacket.ParseHex("zz"));
        Assert.Null(GdbPacket.ParseHex("0x"));
    }

    [Fact]
    public void TryParseHex_needs_exactly_two_digits_per_destination_byte()
    {
        Span<byte> into = stackalloc byte[2];

        Assert.True(GdbPacket.TryParseHex("1234", into));
        Assert.Equal([0x12, 0x34], into.ToArray());
        Assert.False(GdbPacket.TryParseHex("123456", into));
        Assert.False(GdbPacket.TryParseHex("12", into));
        Assert.False(GdbPacket.TryParseHex("12 4", into));
    }

    [Theory]
    [InlineData("0", 0ul)]
    [InlineData("1f", 0x1Ful)]
    [InlineData("FFFFFFFF81000000", 0xFFFF_FFFF_8100_0000ul)]
    [InlineData("ffffffffffffffff", ulong.MaxValue)]
    [InlineData("00000000000000000001", 1ul)]
    public void TryParseHexNumber_reads_big_endian_hex_text(string text, ulong expected)
    {
        Assert.True(GdbPacket.TryParseHexNumber(text, out ulong value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10000000000000000")]
    [InlineData("12g4")]
    [InlineData("-1")]
    [InlineData("0x10")]
    public void TryParseHexNumber_rejects_empty_overlong_and_non_hex_text(string text)
    {
        Assert.False(GdbPacket.TryParseHexNumber(text, out ulong value));
        Assert.Equal(0ul, value);
    }

    [Fact]
    public void XferReply_marks_a_partial_slice_with_m_and_the_last_one_with_l()
    {
        const string Document = "<target>abc</target>";

        Assert.Equal("m<targ", GdbPacket.XferReply(Document, 0, 5));
        Assert.Equal("let>", GdbPacket.XferReply(Document, 17, 100));
        Assert.Equal("l" + Document, GdbPacket.XferReply(Document, 0, (ulong)Document.Length));
        Assert.Equal("l", GdbPacket.XferReply(Document, 20, 5));
        Assert.Equal("l", GdbPacket.XferReply(Document, ulong.MaxValue, 5));
    }
}
