using System.Buffers.Binary;
using System.Text;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Firmware ACPI Control Structure (ACPI 6.4 section 5.2.10): no header and no checksum, 64-byte aligned. Every
/// field but the signature, length and version starts zero; the operating system writes the Firmware Waking Vector
/// before it enters S3, and the VMM, standing in for the firmware, reads it on wake.
/// </summary>
internal static class Facs
{
    /// <summary>Size of the structure (ACPI 6.4 table 5.14).</summary>
    public const int Size = 64;

    /// <summary>Required alignment of its address.</summary>
    public const int Alignment = 64;

    /// <summary>The structure's signature.</summary>
    public const string Signature = "FACS";

    /// <summary>Offset of the 32-bit Firmware Waking Vector: the real-mode address to resume at after S3.</summary>
    public const int FirmwareWakingVectorOffset = 12;

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
