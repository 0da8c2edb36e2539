namespace SharpVmm.Fuzz;

/// <summary>
/// Reads a fuzz input as a sequence of guest accesses, the shape every device harness uses: one operation byte (bits 0-1:
/// read, write, or the harness's own action; bits 2-3: the width, 1, 2, 4 or 8 bytes; bits 4-7: free for the harness),
/// then the offset (<see cref="Next"/>'s <c>offsetBytes</c>, little-endian, reduced modulo the window), then for a write
/// the data. A short input reads as zeros past its end, so every prefix of an input is an input.
/// </summary>
public ref struct AccessScript
{
    private readonly ReadOnlySpan<byte> _input;
    private int _at;

    /// <summary>Starts at the first byte of <paramref name="input"/>.</summary>
    public AccessScript(ReadOnlySpan<byte> input)
    {
        _input = input;
        _at = 0;
    }

    /// <summary>Whether bytes are left.</summary>
    public readonly bool HasMore => _at < _input.Length;

    /// <summary>The next byte, or 0 past the end.</summary>
    public byte NextByte() => _at < _input.Length ? _input[_at++] : (byte)0;

    /// <summary>The next <paramref name="count"/> bytes (1-8) as a little-endian number; missing bytes are 0.</summary>
    public ulong NextValue(int count)
    {
        ulong value = 0;
        for (int i = 0; i < count; i++)
        {
            value |= (ulong)NextByte() << (8 * i);
        }

        return value;
    }

    /// <summary>Fills <paramref name="destination"/> from the input; missing bytes are 0.</summary>
    public void NextBytes(scoped Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = NextByte();
        }
    }

    /// <summary>
    /// The next access: its kind, its offset in [0, <paramref name="window"/>) read from <paramref name="offsetBytes"/>
    /// bytes, and for a write its data in <paramref name="data"/> (8 bytes of room; the access uses the first
    /// <see cref="GuestAccess.Width"/>).
    /// </summary>
    public GuestAccess Next(ulong window, int offsetBytes, scoped Span<byte> data)
    {
        byte op = NextByte();
        var kind = (GuestAccessKind)(op & 3);
        int width = 1 << ((op >> 2) & 3);
        ulong offset = NextValue(offsetBytes) % window;
        var access = new GuestAccess(kind, width, offset, (byte)(op >> 4));
        if (access.IsWrite)
        {
            NextBytes(data[..width]);
        }

        return access;
    }
}
