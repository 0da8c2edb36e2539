using System.Buffers.Binary;
using System.Text;

namespace SharpVmm.X86.Acpi;

/// <summary>The system description table header every ACPI table but the RSDP and FACS starts with (ACPI 6.4 section 5.2.6).</summary>
internal static class AcpiTableHeader
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 36;

    // Field offsets (ACPI 6.4 table 5.4).
    private const int LengthOffset = 4, RevisionOffset = 8, ChecksumOffset = 9, OemIdOffset = 10, OemTableIdOffset = 16;
    private const int OemRevisionOffset = 24, CreatorIdOffset = 28, CreatorRevisionOffset = 32;

    /// <summary>Writes the header for a table of <paramref name="table"/>.Length bytes (body already written) and sets its checksum.</summary>
    public static void Complete(Span<byte> table, string signature, byte revision)
    {
        Encoding.ASCII.GetBytes(signature, table);
        BinaryPrimitives.WriteUInt32LittleEndian(table[LengthOffset..], (uint)table.Length);
        table[RevisionOffset] = revision;
        Encoding.ASCII.GetBytes(AcpiTables.OemId, table[OemIdOffset..]);
        Encoding.ASCII.GetBytes(AcpiTables.OemTableId, table[OemTableIdOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(table[OemRevisionOffset..], AcpiTables.OemRevision);
        Encoding.ASCII.GetBytes(AcpiTables.CreatorId, table[CreatorIdOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(table[CreatorRevisionOffset..], AcpiTables.CreatorRevision);
        table[ChecksumOffset] = 0;
        table[ChecksumOffset] = AcpiTables.Checksum(table);
    }
}
