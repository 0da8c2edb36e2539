using System.Buffers.Binary;
using System.Text;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Firmware ACPI Control Structure (ACPI 6.4 section 5.2.10): no header and no checksum, 64-byte aligned. With no
/// sleep states but S5 and no global lock users, every field but the signature, length and version is zero.
/// </summary>
internal static class Facs
{
    /// <summary>Size of the structure (ACPI 6.4 table 5.14).</summary>
    public const int Size = 64;

    /// <summary>Required alignment of its address.</summary>
    public const int Alignment = 64;

    /// <summary>The structure's signature.</summary>
    public const string Signature = "FACS";

    private const int LengthOffset = 4, VersionOffset = 32;
    private const byte Version = 2; // ACPI 6.4 table 5.14

    /// <summary>Writes the FACS into <paramref name="facs"/> (exactly <see cref="Size"/> bytes, zeroed).</summary>
    public static void Write(Span<byte> facs)
    {
        Encoding.ASCII.GetBytes(Signature, facs);
        BinaryPrimitives.WriteUInt32LittleEndian(facs[LengthOffset..], Size);
        facs[VersionOffset] = Version;
    }
}
