using SharpVmm.Tests.Support;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpVmm.Cli.Terminal;
using SharpVmm.Sys;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class RawTerminalTests
{
    [Fact]
    public void Termios_matches_glibc_x86_64_layout()
    {
        Assert.Equal(Termios.Size, Unsafe.SizeOf<Termios>());
        Assert.Equal(Termios.Size, Marshal.SizeOf<Termios>());
        Assert.Equal(16, (int)Marshal.OffsetOf<Termios>(nameof(Termios.c_line)));
        Assert.Equal(17, (int)Marshal.OffsetOf<Termios>(nameof(Termios.c_cc)));
        Assert.Equal(52, (int)Marshal.OffsetOf<Termios>(nameof(Termios.c_ispeed)));
        Assert.Equal(56, (int)Marshal.OffsetOf<Termios>(nameof(Termios.c_ospeed)));
    }

    [Fact]
    public void A_descriptor_that_is_not_a_terminal_is_left_alone()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            int fd = (int)file.DangerousGetHandle();

            using var terminal = new RawTerminal(fd);

            Assert.False(terminal.IsRaw);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Redirected_stdin_is_left_alone_and_dispose_twice_is_harmless()
    {
        Assert.SkipUnless(Console.IsInputRedirected, "stdin is a terminal in this run");

        var terminal = new RawTerminal();
        terminal.Dispose();
        terminal.Dispose();

        Assert.False(terminal.IsRaw);
    }
}
