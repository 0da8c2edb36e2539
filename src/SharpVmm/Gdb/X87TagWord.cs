using System.Buffers.Binary;

namespace SharpVmm.Gdb;

/// <summary>
/// Converts between the two forms of the x87 tag word. KVM (like FXSAVE) keeps the abridged form: one bit per physical
/// register, set when it is in use. gdb's <c>ftag</c> is the full form FSTENV stores: two bits per physical register,
/// 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unnormal), 11 empty.
/// </summary>
/// <remarks>
/// Expanding classifies each register in use from its contents, as the processor does for FSTENV; physical register
/// p is ST((p - TOP) mod 8), TOP being bits 11-13 of the status word, and KVM stores the registers in ST order.
/// Compressing keeps only empty versus in use, which is all the processor keeps.
/// </remarks>
internal static class X87TagWord
{
    private const int Valid = 0, Zero = 1, Special = 2, Empty = 3;

    /// <summary>
    /// The full tag word for <paramref name="abridged"/>, with <paramref name="statusWord"/> for TOP and
    /// <paramref name="stackRegisters"/> (ST0-ST7, 16 bytes each, 10 used) for the contents.
    /// </summary>
    public static ushort Expand(byte abridged, ushort statusWord, ReadOnlySpan<byte> stackRegisters)
    {
        int top = (statusWord >> 11) & 7;
        int full = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            int tag = Empty;
            if ((abridged & (1 << physical)) != 0)
            {
                int st = (physical - top) & 7;
                tag = Classify(stackRegisters.Slice(st * 16, 10));
            }

            full |= tag << (2 * physical);
        }

        return (ushort)full;
    }

    /// <summary>The abridged tag byte for the full tag word <paramref name="full"/>: bit p set unless p's tag is empty.</summary>
    public static byte Compress(ushort full)
    {
        int abridged = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            if (((full >> (2 * physical)) & 3) != Empty)
            {
                abridged |= 1 << physical;
            }
        }

        return (byte)abridged;
    }

    private static int Classify(ReadOnlySpan<byte> extended)
    {
        ulong significand = BinaryPrimitives.ReadUInt64LittleEndian(extended);
        int exponent = BinaryPrimitives.ReadUInt16LittleEndian(extended[8..]) & 0x7FFF;
        return exponent switch
        {
            0x7FFF => Special,
            0 => significand == 0 ? Zero : Special,
            _ => (significand >> 63) != 0 ? Valid : Special,
        };
    }
}
