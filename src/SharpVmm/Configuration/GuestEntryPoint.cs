using System.Globalization;
using SharpVmm.X86;

namespace SharpVmm.Configuration;

/// <summary>Where a raw guest starts: <c>SEG:OFF</c> in real mode (<see cref="Segment"/> set), a flat address otherwise.</summary>
/// <param name="Segment">The real-mode code segment; null for a flat address.</param>
/// <param name="Offset">The offset in the segment, or the address.</param>
public readonly record struct GuestEntryPoint(ushort? Segment, ulong Offset)
{
    /// <summary>
    /// Parses <c>SEG:OFF</c> or an address, each number decimal or 0x-prefixed hex.
    /// </summary>
    /// <exception cref="FormatException">Not a number, or a segment or offset wider than 16 bits.</exception>
    public static GuestEntryPoint Parse(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new GuestEntryPoint(null, Number(text, text));
        }

        ulong segment = Number(text[..colon], text);
        ulong offset = Number(text[(colon + 1)..], text);
        if (segment > 0xFFFF || offset > 0xFFFF)
        {
            throw new FormatException($"'{text}': segment and offset must each fit in 16 bits");
        }

        return new GuestEntryPoint((ushort)segment, offset);
    }

    /// <summary>
    /// The entry of <paramref name="raw"/>: its <see cref="RawGuestConfig.Entry"/>, or else its load address
    /// (<c>LOAD/16:0</c> in real mode), checked against its mode.
    /// </summary>
    /// <exception cref="FormatException">The entry cannot be parsed, or does not suit the mode.</exception>
    public static GuestEntryPoint For(RawGuestConfig raw)
    {
        GuestEntryPoint entry = raw.Entry is { } text ? Parse(text)
            : raw.Mode != CpuMode.Real ? new GuestEntryPoint(null, raw.LoadAddress)
            : raw.LoadAddress <= 0xFFFF0 && raw.LoadAddress % 16 == 0 ? new GuestEntryPoint((ushort)(raw.LoadAddress >> 4), 0)
            : throw new FormatException($"real mode cannot start at 0x{raw.LoadAddress:x} without an entry SEG:OFF (it must be 16-byte aligned and below 1 MiB)");
        if (raw.Mode == CpuMode.Real && entry.Segment is null)
        {
            throw new FormatException($"{entry}: real mode needs SEG:OFF (e.g. 0x1000:0x0)");
        }

        if (raw.Mode != CpuMode.Real && entry.Segment is not null)
        {
            throw new FormatException($"{entry}: {raw.Mode} mode takes a flat address, not SEG:OFF");
        }

        if (raw.Mode == CpuMode.Protected32 && entry.Offset > uint.MaxValue)
        {
            throw new FormatException($"{entry}: 32-bit protected mode cannot start above 4 GiB");
        }

        return entry;
    }

    /// <inheritdoc />
    public override string ToString() => Segment is ushort s ? $"0x{s:x}:0x{Offset:x}" : $"0x{Offset:x}";

    private static ulong Number(string part, string whole)
    {
        string t = part.Trim().Replace("_", "", StringComparison.Ordinal);
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok && t.Length > 0 ? value : throw new FormatException($"'{whole}' is not SEG:OFF or an address (decimal or 0x-prefixed hex)");
    }
}
