using System.Globalization;

namespace SharpVmm.Cli.Parsing;

/// <summary>Parses the numbers users type: <c>0x10000</c>, <c>65536</c>, and sizes such as <c>64M</c>.</summary>
public static class NumberParser
{
    /// <summary>Parses a decimal or <c>0x</c>-prefixed hexadecimal unsigned number.</summary>
    /// <exception cref="UsageException">Not a number, or too large.</exception>
    public static ulong ParseUnsigned(string text, string what)
    {
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok && t.Length > 0 ? value : throw new UsageException($"{what}: '{text}' is not a number (use decimal or 0x-prefixed hex)");
    }

    /// <summary>Parses a size: a number with an optional K, M or G suffix (powers of 1024); a bare number is in bytes.</summary>
    public static ulong ParseSize(string text, string what)
    {
        string t = text.Trim();
        if (t.Length == 0)
        {
            throw new UsageException($"{what}: empty size");
        }

        if (t.Length >= 3 && t[^1] is 'i' or 'I' && "KMGkmg".Contains(t[^2], StringComparison.Ordinal))
        {
            throw new UsageException($"{what}: write '{t[..^1]}' rather than '{text}' (sizes are always powers of 1024)");
        }

        int shift = char.ToUpperInvariant(t[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 };
        string digits = shift == 0 ? t : t[..^1];
        ulong value = ParseUnsigned(digits, what);
        if (shift > 0 && value > (ulong.MaxValue >> shift))
        {
            throw new UsageException($"{what}: '{text}' is too large");
        }

        return value << shift;
    }
}
