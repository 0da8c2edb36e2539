using System.Runtime.InteropServices;

namespace SharpVmm.Cli.Terminal;

/// <summary>
/// The libc terminal calls <see cref="RawTerminal"/> needs. These are <c>DllImport</c>s, not <c>LibraryImport</c>s,
/// because the generated LibraryImport stubs need <c>AllowUnsafeBlocks</c>, which the CLI does not enable: every
/// parameter is blittable (ints and a <c>ref</c> to a blittable struct), so the runtime only pins, and Native AOT
/// compiles the stubs ahead of time without reflection.
/// </summary>
internal static class TerminalInterop
{
    /// <summary><c>tcsetattr</c> action: change at once.</summary>
    public const int TCSANOW = 0;

    /// <summary><c>tcsetattr</c> action: change after pending output is written.</summary>
    public const int TCSADRAIN = 1;

    private const string Lib = "libc";

    [DllImport(Lib, EntryPoint = "isatty")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int IsATty(int fd);

    [DllImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int TcGetAttr(int fd, ref Termios termios);

    [DllImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int TcSetAttr(int fd, int optionalActions, ref Termios termios);

    [DllImport(Lib, EntryPoint = "cfmakeraw")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern void CfMakeRaw(ref Termios termios);
}
