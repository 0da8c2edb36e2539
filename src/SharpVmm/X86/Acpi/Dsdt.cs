namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Differentiated System Description Table (ACPI 6.4 section 5.2.11.1): a header and an AML definition block. It
/// holds only the <c>\_S5</c> sleep-state package, so an operating system can power the machine off through PM1a_CNT;
/// the legacy devices need no AML (the FADT's LEGACY_DEVICES and 8042 flags tell the OS to probe them).
/// </summary>
internal static class Dsdt
{
    /// <summary>The table's signature.</summary>
    public const string Signature = "DSDT";

    // Revision 2: integers in the definition block are 64 bits wide (ACPI 6.4 section 5.2.11.1).
    private const byte Revision = 2;

    // AML opcodes (ACPI 6.4 section 20.3 and 20.2.5).
    private const byte NameOp = 0x08, RootChar = 0x5C, PackageOp = 0x12, BytePrefix = 0x0A, ZeroOp = 0x00;

    /// <summary>Size of the table whose S5 sleep type is any 3-bit value.</summary>
    public static int Size => AcpiTableHeader.Size + S5Package(0).Length;

    /// <summary>
    /// The AML for <c>Name (\_S5, Package (0x04) { slpTyp, slpTyp, Zero, Zero })</c>: SLP_TYPa and SLP_TYPb for soft-off,
    /// then two reserved elements.
    /// </summary>
    public static byte[] S5Package(byte sleepType) =>
    [
        NameOp, RootChar, (byte)'_', (byte)'S', (byte)'5', (byte)'_', // Name (\_S5_,
        PackageOp, 0x08, 0x04,                                        //   Package: PkgLength 8 (this byte and the 7 after), 4 elements
        BytePrefix, sleepType,                                        //     SLP_TYPa
        BytePrefix, sleepType,                                        //     SLP_TYPb (no PM1b block: same value)
        ZeroOp,                                                       //     reserved
        ZeroOp,                                                       //     reserved
    ];

    /// <summary>Writes the DSDT into <paramref name="table"/> (exactly <see cref="Size"/> bytes, zeroed).</summary>
    public static void Write(Span<byte> table, byte s5SleepType)
    {
        S5Package(s5SleepType).CopyTo(table[AcpiTableHeader.Size..]);
        AcpiTableHeader.Complete(table, Signature, Revision);
    }
}
