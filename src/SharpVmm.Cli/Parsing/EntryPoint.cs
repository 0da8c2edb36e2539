namespace SharpVmm.Cli.Parsing;

/// <summary>Where a raw guest starts: <c>SEG:OFF</c> in real mode, a flat address otherwise.</summary>
/// <param name="Segment">Real-mode code segment (null for a flat address).</param>
/// <param name="Offset">IP within the segment, or the flat entry address.</param>
public readonly record struct EntryPoint(ushort? Segment, ulong Offset)
{
    /// <summary>Parses <c>SEG:OFF</c> (each part decimal or 0x-hex, both at most 0xffff) or a single address.</summary>
    public static EntryPoint Parse(string text)
    {
        try
        {
            Configuration.GuestEntryPoint entry = Configuration.GuestEntryPoint.Parse(text);
            return new EntryPoint(entry.Segment, entry.Offset);
        }
        catch (FormatException ex)
        {
            throw new UsageException($"--entry: {ex.Message}");
        }
    }

    /// <summary>Parsed back by <see cref="Configuration.GuestEntryPoint.Parse"/>.</summary>
    public override string ToString() => Segment is ushort s ? $"0x{s:x}:0x{Offset:x}" : $"0x{Offset:x}";
}
