namespace SharpVmm.Snapshot;

/// <summary>
/// CRC-64/XZ (the ECMA-182 polynomial, reflected, initial value and final XOR all ones), the checksum xz and
/// Firecracker's snapshot files use. Check value: "123456789" gives 0x995DC9BBDF1939FA.
/// </summary>
public static class Crc64
{
    private const ulong ReflectedPolynomial = 0xC96C5795D7870F42;
    private static readonly ulong[] s_table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static ulong Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>The CRC of the bytes given to earlier calls (<paramref name="crc"/>, 0 to begin) followed by <paramref name="data"/>.</summary>
    public static ulong Append(ulong crc, ReadOnlySpan<byte> data)
    {
        ulong[] table = s_table;
        crc = ~crc;
        foreach (byte b in data)
        {
            crc = table[(byte)crc ^ b] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (uint i = 0; i < 256; i++)
        {
            ulong value = i;
            for (int bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ ReflectedPolynomial : value >> 1;
            }

            table[i] = value;
        }

        return table;
    }
}
