using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>The terminal calls of <c>&lt;termios.h&gt;</c> and isatty.</summary>
public static partial class Tty
{
    /// <summary><c>tcsetattr</c> action: change at once.</summary>
    public const int TCSANOW = 0;

    /// <summary><c>tcsetattr</c> action: change after pending output is written.</summary>
    public const int TCSADRAIN = 1;

    private const string Lib = "libc";

    /// <summary>isatty(3): 1 for a terminal.</summary>
    [LibraryImport(Lib, EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    /// <summary>tcgetattr(3).</summary>
    [LibraryImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, ref Termios termios);

    /// <summary>tcsetattr(3) with <see cref="TCSANOW"/> or <see cref="TCSADRAIN"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int optionalActions, ref Termios termios);

    /// <summary>cfmakeraw(3).</summary>
    [LibraryImport(Lib, EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw(ref Termios termios);
}
