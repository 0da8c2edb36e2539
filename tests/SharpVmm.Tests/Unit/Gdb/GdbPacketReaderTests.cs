using System.Text;
using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Gdb;

[Tier(TestTiers.Unit)]
public class GdbPacketReaderTests
{
    private static List<GdbInput> Drain(GdbPacketReader reader)
    {
        var inputs = new List<GdbInput>();
        while (reader.TryRead(out GdbInput input))
        {
            inputs.Add(input);
        }

        return inputs;
    }

    private static List<GdbInput> Read(string stream)
    {
        var reader = new GdbPacketReader();
        reader.Feed(Encoding.Latin1.GetBytes(stream));
        return Drain(reader);
    }

    private static string Text(GdbInput input) => Encoding.Latin1.GetString(input.Payload);

    [Fact]
    public void A_packet_with_the_right_checksum_is_read_with_its_payload()
    {
        GdbInput input = Assert.Single(Read("$g#67"));

        Assert.Equal(GdbInputKind.Packet, input.Kind);
        Assert.Equal("g", Text(input));
    }

    [Fact]
    public void Checksum_digits_may_be_uppercase()
    {
        GdbInput input = Assert.Single(Read("$m10,4#2E"));

        Assert.Equal(GdbInputKind.Packet, input.Kind);
        Assert.Equal("m10,4", Text(input));
    }

    [Fact]
    public void An_empty_packet_is_read()
    {
        GdbInput input = Assert.Single(Read("$#00"));

        Assert.Equal(GdbInputKind.Packet, input.Kind);
        Assert.Empty(input.Payload);
    }

    [Fact]
    public void A_packet_split_across_feeds_is_read_once_complete()
    {
        var reader = new GdbPacketReader();
        byte[] packet = GdbPacket.Frame("qSupported:multiprocess+;swbreak+"u8);

        foreach (byte b in packet[..^1])
        {
            reader.Feed([b]);
            Assert.False(reader.TryRead(out _));
        }

        reader.Feed(packet.AsSpan(packet.Length - 1));

        Assert.True(reader.TryRead(out GdbInput input));
        Assert.Equal("qSupported:multiprocess+;swbreak+", Text(input));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void Two_packets_in_one_feed_are_read_in_order()
    {
        List<GdbInput> inputs = Read("$g#67$?#3f");

        Assert.Equal([GdbInputKind.Packet, GdbInputKind.Packet], inputs.Select(i => i.Kind));
        Assert.Equal(["g", "?"], inputs.Select(Text));
    }

    [Fact]
    public void A_packet_with_a_wrong_checksum_is_reported_as_bad_and_reading_goes_on()
    {
        List<GdbInput> inputs = Read("$g#68$g#67");

        Assert.Equal([GdbInputKind.BadChecksum, GdbInputKind.Packet], inputs.Select(i => i.Kind));
        Assert.Empty(inputs[0].Payload);
    }

    [Fact]
    public void Checksum_digits_that_are_not_hex_make_a_bad_packet()
    {
        Assert.Equal([GdbInputKind.BadChecksum], Read("$g#6z").Select(i => i.Kind));
    }

    [Fact]
    public void Interrupt_and_acknowledgements_between_packets_are_reported()
    {
        List<GdbInput> inputs = Read("+\u0003-$g#67+");

        Assert.Equal(
            [GdbInputKind.Ack, GdbInputKind.Interrupt, GdbInputKind.Nack, GdbInputKind.Packet, GdbInputKind.Ack],
            inputs.Select(i => i.Kind));
    }

    [Fact]
    public void Interrupt_and_acknowledgement_bytes_inside_a_packet_are_payload()
    {
        byte[] payload = [(byte)'X', 0x03, (byte)'+', (byte)'-'];

        GdbInput input = Assert.Single(ReadBytes(GdbPacket.Frame(payload)));

        Assert.Equal(GdbInputKind.Packet, input.Kind);
        Assert.Equal(payload, input.Payload);
    }

    [Fact]
    public void Other_bytes_between_packets_are_ignored()
    {
        List<GdbInput> inputs = Read("hello\r\n#00$g#67 ");

        GdbInput input = Assert.Single(inputs);
        Assert.Equal("g", Text(input));
    }

    [Fact]
    public void A_packet_cut_short_by_a_new_one_is_dropped()
    {
        GdbInput input = Assert.Single(Read("$m1000,$g#67"));

        Assert.Equal("g", Text(input));
    }

    [Fact]
    public void A_packet_of_the_maximum_size_is_read()
    {
        byte[] payload = Enumerable.Repeat((byte)'a', GdbPacketReader.MaxPacketSize).ToArray();

        GdbInput input = Assert.Single(ReadBytes(GdbPacket.Frame(payload)));

        Assert.Equal(GdbInputKind.Packet, input.Kind);
        Assert.Equal(payload, input.Payload);
    }

    [Fact]
    public void An_oversized_packet_is_dropped_as_bad_and_the_next_one_is_read()
    {
        byte[] huge = GdbPacket.Frame(Enumerable.Repeat((byte)'a', GdbPacketReader.MaxPacketSize + 1).ToArray());
        var reader = new GdbPacketReader();

        reader.Feed(huge);
        reader.Feed("$g#67"u8);

        List<GdbInput> inputs = Drain(reader);
        Assert.Equal([GdbInputKind.BadChecksum, GdbInputKind.Packet], inputs.Select(i => i.Kind));
        Assert.Equal("g", Text(inputs[1]));
    }

    [Fact]
    public void Random_garbage_never_throws_and_never_yields_more_than_it_was_fed()
    {
        var random = new Random(1234);
        var reader = new GdbPacketReader();
        byte[] alphabet = "$#}*+-0123456789abcdefgXm,:\u0003"u8.ToArray();
        int fed = 0, read = 0;

        for (int round = 0; round < 2000; round++)
        {
            byte[] chunk = new byte[random.Next(0, 64)];
            if (round % 2 == 0)
            {
                random.NextBytes(chunk);
            }
            else
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    chunk[i] = alphabet[random.Next(alphabet.Length)];
                }
            }

            reader.Feed(chunk);
            fed += chunk.Length;
            foreach (GdbInput input in Drain(reader))
            {
                read++;
                Assert.NotNull(input.Payload);
                Assert.True(input.Payload.Length <= GdbPacketReader.MaxPacketSize);
            }
        }

        Assert.True(read <= fed);
        reader.Feed("#00#00$g#67"u8); // ends whatever state the garbage left, then a packet
        GdbInput last = Drain(reader)[^1];
        Assert.Equal(GdbInputKind.Packet, last.Kind);
        Assert.Equal("g", Text(last));
    }

    [Fact]
    public void A_framed_payload_with_special_bytes_comes_back_through_the_reader_and_unescape()
    {
        byte[] data = [(byte)'#', (byte)'$', (byte)'}', (byte)'*', 0x00, 0x03, 0xFF, (byte)'a', 0x7D ^ 0x20];
        byte[] payload = [.. "X1000,9:"u8, .. data];

        GdbInput input = Assert.Single(ReadBytes(GdbPacket.Frame(payload)));

        Assert.Equal(GdbInputKind.Packet, input.Kind);
        Assert.Equal(payload, GdbPacket.Unescape(input.Payload));
        Assert.Equal(data, GdbPacket.Unescape(input.Payload.AsSpan("X1000,9:".Length)));
    }

    private static List<GdbInput> ReadBytes(byte[] stream)
    {
        var reader = new GdbPacketReader();
        reader.Feed(stream);
        return Drain(reader);
    }
}
