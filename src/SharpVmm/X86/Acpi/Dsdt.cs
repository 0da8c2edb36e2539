using SharpVmm.Devices.Pci;
using static SharpVmm.X86.Acpi.AmlEncoder;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Differentiated System Description Table (ACPI 6.4 section 5.2.11.1): a header and an AML definition block. It
/// holds the <c>\_S3</c> (when offered) and <c>\_S5</c> sleep-state packages, so an operating system can suspend the
/// machine to RAM and power it off through PM1a_CNT, and,
/// when the machine has PCI, the host bridge <c>\_SB.PCI0</c> (PNP0A03) with its resources and INTx routing: with ACPI
/// on, Linux finds a PCI root bus only through that device. The legacy devices need no AML (the FADT's LEGACY_DEVICES
/// and 8042 flags tell the OS to probe them).
/// </summary>
internal static class Dsdt
{
    /// <summary>The table's signature.</summary>
    public const string Signature = "DSDT";

    // Revision 2: integers in the definition block are 64 bits wide (ACPI 6.4 section 5.2.11.1).
    private const byte Revision = 2;

    // AML opcodes (ACPI 6.4 section 20.3 and 20.2.5).
    private const byte NameOp = 0x08, RootChar = 0x5C, PackageOp = 0x12, BytePrefix = 0x0A, ZeroOp = 0x00;

    /// <summary>Size of the table (whose S5 sleep type is any 3-bit value) for <paramref name="pci"/> (null: no PCI).</summary>
    public static int SizeFor(PciRootDescription? pci, bool s3 = false) =>
        AcpiTableHeader.Size + (s3 ? S3Package(0).Length : 0) + S5Package(0).Length + (pci is null ? 0 : PciRoot(pci).Length);

    /// <summary>
    /// The AML for <c>Name (\_S3, Package (0x04) { slpTyp, slpTyp, Zero, Zero })</c>: SLP_TYPa and SLP_TYPb for suspend
    /// to RAM, then two reserved elements (the same shape as <see cref="S5Package"/>).
    /// </summary>
    public static byte[] S3Package(byte sleepType) => SleepPackage((byte)'3', sleepType);

    /// <summary>
    /// The AML for <c>Name (\_S5, Package (0x04) { slpTyp, slpTyp, Zero, Zero })</c>: SLP_TYPa and SLP_TYPb for soft-off,
    /// then two reserved elements.
    /// </summary>
    public static byte[] S5Package(byte sleepType) => SleepPackage((byte)'5', sleepType);

    private static byte[] SleepPackage(byte state, byte sleepType) =>
    [
        NameOp, RootChar, (byte)'_', (byte)'S', state, (byte)'_',     // Name (\_Sn_,
        PackageOp, 0x08, 0x04,                                        //   Package: PkgLength 8 (this byte and the 7 after), 4 elements
        BytePrefix, sleepType,                                        //     SLP_TYPa
        BytePrefix, sleepType,                                        //     SLP_TYPb (no PM1b block: same value)
        ZeroOp,                                                       //     reserved
        ZeroOp,                                                       //     reserved
    ];

    /// <summary>
    /// The AML for the PCI host bridge:
    /// <code>
    /// Scope (\_SB) { Device (PCI0) {
    ///     Name (_HID, EisaId ("PNP0A03")) Name (_UID, Zero) Name (_SEG, Zero) Name (_BBN, Zero)
    ///     Name (_CRS, ResourceTemplate () {
    ///         WordBusNumber 0-0xFF; IO 0xCF8 length 8; WordIO 0-0xCF7 and 0xD00-0xFFFF;
    ///         DWordMemory for the PCI window and for the platform MMIO range above it })
    ///     Name (_PRT, Package () { Package () { slot &lt;&lt; 16 | 0xFFFF, pin, Zero, GSI }, ... }) } }
    /// </code>
    /// The second memory range is where virtio-mmio devices sit; declaring it keeps Linux from placing anything there.
    /// </summary>
    public static byte[] PciRoot(PciRootDescription pci)
    {
        ArgumentNullException.ThrowIfNull(pci);
        byte[] crs = ResourceTemplate(
            WordBusNumber(0x00, 0xFF),
            Io(PciLayout.ConfigAddressPort, (byte)PciLayout.ConfigPortCount),
            WordIo(0x0000, PciLayout.ConfigAddressPort - 1),
            WordIo(0x0D00, 0xFFFF),
            DWordMemory((uint)PciLayout.MmioWindowBase, (uint)PciLayout.MmioWindowEnd),
            DWordMemory((uint)PciLayout.PlatformMmioBase, (uint)PciLayout.PlatformMmioEnd));

        // _PRT entries (ACPI 6.4, 6.2.13): Address (device << 16 | 0xFFFF: any function), Pin (0 = INTA), Source (0:
        // a global interrupt, no link device), Source Index (the GSI).
        byte[][] routes = [.. pci.Routes.Select(r => Package(
            Integer(((ulong)r.Slot << 16) | 0xFFFF),
            Integer((ulong)r.Pin),
            Integer(0),
            Integer(r.Gsi)))];

        return Scope("\\_SB", Device("PCI0",
            Name("_HID", EisaId("PNP0A03")),
            Name("_UID", Integer(0)),
            Name("_SEG", Integer(0)),
            Name("_BBN", Integer(0)),
            Name("_CRS", crs),
            Name("_PRT", Package(routes))));
    }

    /// <summary>
    /// Builds the whole table (header and AML) for <paramref name="s5SleepType"/>, <paramref name="s3SleepType"/> (null:
    /// no <c>\_S3</c>) and <paramref name="pci"/> (null: no PCI). <c>\_S3</c> comes first, as in QEMU's tables.
    /// </summary>
    public static byte[] Build(byte s5SleepType, PciRootDescription? pci, byte? s3SleepType = null)
    {
        byte[] aml = [.. s3SleepType is byte s3 ? S3Package(s3) : [], .. S5Package(s5SleepType), .. pci is null ? [] : PciRoot(pci)];
        byte[] table = new byte[AcpiTableHeader.Size + aml.Length];
        aml.CopyTo(table, AcpiTableHeader.Size);
        AcpiTableHeader.Complete(table, Signature, Revision);
        return table;
    }
}
