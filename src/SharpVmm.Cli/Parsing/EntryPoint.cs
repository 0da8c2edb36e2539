namespace SharpVmm.Cli.Parsing;

/// <summary>Where a raw guest starts: <c>SEG:OFF</c> in real mode, a flat address otherwise.</summary>
/// <param name="Segment">Real-mode code segment (null for a flat address).</param>
/// <param name="Offset">IP within the segment, or the flat entry address.</param>
public readonly record struct EntryPoint(ushort? Segment, ulong Offset)
{
    /// <summary>Parses <c>SEG:OFF</c> (each part decimal or 0x-hex, both at most 0xffff) or a single address.</summary>
    public static EntryPoint Parse(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new EntryPoint(null, NumberParser.ParseUnsigned(text, "--entry"));
        }

        ulong segment = NumberParser.ParseUnsigned(text[..colon], "--entry segment");
        ulong offset = NumberParser.ParseUnsigned(text[(colon + 1)..], "--entry offset");
        if (segment > 0xFFFF || offset > 0xFFFF)
        {
            throw new UsageException($"--entry: '{text}': segment and offset must each fit in 16 bits");
        }

        return new EntryPoint((ushort)segment, offset);
    }

    /// <inheritdoc />
    public override string ToString() => Segment is ushort s ? $"0x{s:x}:0x{Offset:x}" : $"0x{Offset:x}";
}
