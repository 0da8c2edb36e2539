using SharpVmm.Sys;

namespace SharpVmm.Cli.Terminal;

/// <summary>
/// Puts a terminal (stdin by default) into raw mode, so every key, Ctrl-C included, reaches the guest; Dispose puts
/// the saved settings back. Output processing stays on, so the VMM's own messages still start new lines properly.
/// When the descriptor is not a terminal (a pipe, a file) it does nothing.
/// </summary>
public sealed class RawTerminal : IDisposable
{
    /// <summary>The standard input descriptor.</summary>
    public const int StandardInput = 0;

    private readonly int _fd;
    private Termios _saved;
    private bool _restored;

    /// <summary>Switches <paramref name="fileDescriptor"/> to raw mode if it is a terminal.</summary>
    /// <exception cref="IOException">The descriptor is a terminal but its settings cannot be read or changed.</exception>
    public RawTerminal(int fileDescriptor = StandardInput)
    {
        _fd = fileDescriptor;
        if (Tty.IsATty(fileDescriptor) != 1)
        {
            return;
        }

        if (Tty.TcGetAttr(fileDescriptor, ref _saved) != 0)
        {
            throw new IOException($"tcgetattr({fileDescriptor}) failed: errno {Errno.Last()}");
        }

        Termios raw = _saved;
        Tty.CfMakeRaw(ref raw);
        raw.c_oflag |= Termios.OPOST;
        if (Tty.TcSetAttr(fileDescriptor, Tty.TCSANOW, ref raw) != 0)
        {
            throw new IOException($"tcsetattr({fileDescriptor}) failed: errno {Errno.Last()}");
        }

        IsRaw = true;
    }

    /// <summary>Whether the terminal was switched to raw mode (false when the descriptor is not a terminal).</summary>
    public bool IsRaw { get; }

    /// <summary>Restores the terminal settings saved at construction. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (!IsRaw || _restored)
        {
            return;
        }

        _restored = true;

        // Best effort: there is nothing better to do at shutdown if the terminal went away.
        _ = Tty.TcSetAttr(_fd, Tty.TCSADRAIN, ref _saved);
    }
}
