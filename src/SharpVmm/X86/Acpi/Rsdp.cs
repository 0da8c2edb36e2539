using System.Buffers.Binary;
using System.Text;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Root System Description Pointer, revision 2 (ACPI 6.4 section 5.2.5.3): the structure an OS finds by scanning
/// 16-byte boundaries of [0xE0000, 0x100000) for "RSD PTR ", pointing at both the RSDT and the XSDT.
/// </summary>
internal static class Rsdp
{
    /// <summary>Size of a revision 2 RSDP.</summary>
    public const int Size = 36;

    /// <summary>The structure's signature.</summary>
    public const string Signature = "RSD PTR ";

    // Field offsets (ACPI 6.4 table 5.3); the first checksum covers the ACPI 1.0 part, bytes 0-19.
    private const int ChecksumOffset = 8, OemIdOffset = 9, RevisionOffset = 15, RsdtAddressOffset = 16;
    private const int LengthOffset = 20, XsdtAddressOffset = 24, ExtendedChecksumOffset = 32, Version1Size = 20;
    private const byte Revision = 2; // ACPI 2.0 and later

    /// <summary>Writes the RSDP into <paramref name="rsdp"/> (exactly <see cref="Size"/> bytes, zeroed).</summary>
    public static void Write(Span<byte> rsdp, uint rsdt, ulong xsdt)
    {
        Encoding.ASCII.GetBytes(Signature, rsdp);
        Encoding.ASCII.GetBytes(AcpiTables.OemId, rsdp[OemIdOffset..]);
        rsdp[RevisionOffset] = Revision;
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[RsdtAddressOffset..], rsdt);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[LengthOffset..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(rsdp[XsdtAddressOffset..], xsdt);
        rsdp[ChecksumOffset] = AcpiTables.Checksum(rsdp[..Version1Size]);
        rsdp[ExtendedChecksumOffset] = AcpiTables.Checksum(rsdp);
    }
}
