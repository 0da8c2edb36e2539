using SharpVmm.Tests.Support;
using System.Buffers;
using SharpVmm.Cli.Terminal;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class SerialEscapeFilterTests
{
    private const byte CtrlA = 0x01;

    private static (byte[] Guest, SerialEscapeResult Result) Run(SerialEscapeFilter filter, params byte[] input)
    {
        var guest = new byte[input.Length];
        SerialEscapeResult result = filter.Filter(input, guest);
        return (guest[..result.GuestBytes], result);
    }

    [Fact]
    public void Plain_bytes_pass_through_unchanged()
    {
        var (guest, result) = Run(new SerialEscapeFilter(), "ls -l\r\x03"u8.ToArray());

        Assert.Equal("ls -l\r\x03"u8.ToArray(), guest);
        Assert.Equal(SerialEscapeRequests.None, result.Requests);
        Assert.False(result.QuitRequested);
    }

    [Fact]
    public void Ctrl_a_x_requests_quit_and_sends_nothing()
    {
        var (guest, result) = Run(new SerialEscapeFilter(), CtrlA, (byte)'x');

        Assert.Empty(guest);
        Assert.True(result.QuitRequested);
    }

    [Fact]
    public void Bytes_before_a_quit_reach_the_guest_and_bytes_after_it_do_not()
    {
        var filter = new SerialEscapeFilter();

        var (guest, result) = Run(filter, (byte)'a', CtrlA, (byte)'x', (byte)'b');
        var (later, laterResult) = Run(filter, (byte)'c');

        Assert.Equal("a"u8.ToArray(), guest);
        Assert.True(result.QuitRequested);
        Assert.Empty(later);
        Assert.Equal(SerialEscapeRequests.None, laterResult.Requests);
    }

    [Fact]
    public void Ctrl_a_ctrl_a_sends_one_ctrl_a()
    {
        var (guest, result) = Run(new SerialEscapeFilter(), (byte)'a', CtrlA, CtrlA, (byte)'b');

        Assert.Equal([(byte)'a', CtrlA, (byte)'b'], guest);
        Assert.Equal(SerialEscapeRequests.None, result.Requests);
    }

    [Fact]
    public void Three_ctrl_a_send_one_and_leave_an_escape_pending()
    {
        var filter = new SerialEscapeFilter();

        var (guest, _) = Run(filter, CtrlA, CtrlA, CtrlA);

        Assert.Equal([CtrlA], guest);
        Assert.True(filter.EscapePending);
    }

    [Theory]
    [InlineData((byte)'h')]
    [InlineData((byte)'?')]
    public void Ctrl_a_h_requests_help(byte key)
    {
        var (guest, result) = Run(new SerialEscapeFilter(), CtrlA, key, (byte)'z');

        Assert.Equal("z"u8.ToArray(), guest);
        Assert.Equal(SerialEscapeRequests.Help, result.Requests);
        Assert.Contains("C-a x", SerialEscapeFilter.HelpText, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctrl_a_b_requests_a_break()
    {
        var (guest, result) = Run(new SerialEscapeFilter(), CtrlA, (byte)'b');

        Assert.Empty(guest);
        Assert.Equal(SerialEscapeRequests.Break, result.Requests);
    }

    [Theory]
    [InlineData((byte)'c')]
    [InlineData((byte)'s')]
    [InlineData((byte)'t')]
    [InlineData((byte)'X')]
    [InlineData((byte)'\r')]
    public void Other_escapes_are_swallowed_as_qemu_does(byte key)
    {
        var (guest, result) = Run(new SerialEscapeFilter(), (byte)'1', CtrlA, key, (byte)'2');

        Assert.Equal("12"u8.ToArray(), guest);
        Assert.Equal(SerialEscapeRequests.None, result.Requests);
    }

    [Fact]
    public void Escape_split_across_two_reads_is_recognised()
    {
        var filter = new SerialEscapeFilter();

        var (first, firstResult) = Run(filter, (byte)'q', CtrlA);
        Assert.Equal("q"u8.ToArray(), first);
        Assert.False(firstResult.QuitRequested);
        Assert.True(filter.EscapePending);

        var (second, secondResult) = Run(filter, (byte)'x');
        Assert.Empty(second);
        Assert.True(secondResult.QuitRequested);
        Assert.False(filter.EscapePending);
    }

    [Fact]
    public void Literal_ctrl_a_split_across_two_reads_is_sent_once()
    {
        var filter = new SerialEscapeFilter();

        var (first, _) = Run(filter, CtrlA);
        var (second, _) = Run(filter, CtrlA, (byte)'k');

        Assert.Empty(first);
        Assert.Equal([CtrlA, (byte)'k'], second);
    }

    [Fact]
    public void Several_requests_in_one_read_are_all_reported()
    {
        var (_, result) = Run(new SerialEscapeFilter(), CtrlA, (byte)'h', CtrlA, (byte)'b', CtrlA, (byte)'x');

        Assert.Equal(SerialEscapeRequests.Help | SerialEscapeRequests.Break | SerialEscapeRequests.Quit, result.Requests);
    }

    [Fact]
    public void Empty_input_changes_nothing()
    {
        var filter = new SerialEscapeFilter();
        Run(filter, CtrlA);

        var (guest, result) = Run(filter);

        Assert.Empty(guest);
        Assert.Equal(default, result);
        Assert.True(filter.EscapePending);
    }

    [Fact]
    public void Buffer_writer_overload_appends_the_guest_bytes()
    {
        var filter = new SerialEscapeFilter();
        var writer = new ArrayBufferWriter<byte>();

        filter.Filter("ab"u8, writer);
        SerialEscapeResult result = filter.Filter([CtrlA, CtrlA, (byte)'c', CtrlA], writer);

        Assert.Equal([(byte)'a', (byte)'b', CtrlA, (byte)'c'], writer.WrittenSpan.ToArray());
        Assert.Equal(2, result.GuestBytes);
        Assert.True(filter.EscapePending);
    }

    [Fact]
    public void Output_shorter_than_input_is_rejected()
    {
        var filter = new SerialEscapeFilter();

        Assert.Throws<ArgumentException>(() => filter.Filter("abc"u8, new byte[2]));
    }
}
