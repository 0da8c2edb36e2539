using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// glibc's <c>struct termios</c> on x86-64 Linux (bits/termios-struct.h): 60 bytes, three padding bytes before
/// <c>c_ispeed</c>. Field names follow the C header.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct Termios
{
    /// <summary>Size of the C struct in bytes.</summary>
    public const int Size = 60;

    /// <summary>Output-mode flag (c_oflag) that keeps output processing, such as newline translation, in raw mode.</summary>
    public const uint OPOST = 0x1;

    /// <summary>Input mode flags.</summary>
    public uint c_iflag;

    /// <summary>Output mode flags.</summary>
    public uint c_oflag;

    /// <summary>Control mode flags.</summary>
    public uint c_cflag;

    /// <summary>Local mode flags.</summary>
    public uint c_lflag;

    /// <summary>Line discipline.</summary>
    public byte c_line;

    /// <summary>Control characters.</summary>
    public TermiosControlChars c_cc;

    /// <summary>Input speed.</summary>
    public uint c_ispeed;

    /// <summary>Output speed.</summary>
    public uint c_ospeed;
}
