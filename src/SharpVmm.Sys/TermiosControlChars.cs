using System.Runtime.CompilerServices;

namespace SharpVmm.Sys;

/// <summary><c>c_cc[NCCS]</c> of glibc's <c>struct termios</c> (NCCS = 32 on Linux).</summary>
[InlineArray(Length)]
public struct TermiosControlChars
{
    /// <summary>NCCS.</summary>
    public const int Length = 32;

    private byte _element0;
}
