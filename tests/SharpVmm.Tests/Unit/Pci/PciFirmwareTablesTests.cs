using SharpVmm.Tests.Support;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using SharpVmm.X86;
using SharpVmm.X86.Acpi;
using Xunit;

namespace SharpVmm.Tests.Unit.Pci;

[Tier(TestTiers.Unit)]
public class PciFirmwareTablesTests
{
    private static readonly PciRootDescription Pci = new([1, 2, 5]);

    private static byte[] Dsdt(PciRootDescription? pci)
    {
        const uint at = 0xF0000;
        byte[] all = AcpiTables.Build(at, 2, AcpiLayout.Default, pci);
        int rsdt = (int)(BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(16)) - at);
        int fadt = (int)(BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(rsdt + 36)) - at);
        int dsdt = (int)(BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(fadt + 40)) - at);
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(dsdt + 4));
        byte[] table = all.AsSpan(dsdt, length).ToArray();
        Assert.Equal("DSDT", Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal(0, table.Aggregate(0, (s, b) => (s + b) & 0xFF));
        return table;
    }

    // Decodes a PkgLength (ACPI 6.4, 20.2.4) at data[at]: returns the package length and the bytes it took.
    private static (int Length, int Size) PkgLength(byte[] data, int at)
    {
        int extra = data[at] >> 6;
        if (extra == 0)
        {
            return (data[at] & 0x3F, 1);
        }

        int length = data[at] & 0x0F;
        for (int i = 1; i <= extra; i++)
        {
            length |= data[at + i] << (4 + (8 * (i - 1)));
        }

        return (length, 1 + extra);
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> pattern, int from = 0)
    {
        int i = data.AsSpan(from).IndexOf(pattern);
        Assert.True(i >= 0, $"{Convert.ToHexString(pattern)} not found");
        return from + i;
    }

    [Fact]
    public void Without_pci_the_dsdt_is_only_s3_and_s5()
    {
        Assert.Equal(36 + 15 + 15, Dsdt(null).Length);
    }

    [Fact]
    public void Pci0_scope_and_device_lengths_cover_the_rest_of_the_table()
    {
        byte[] t = Dsdt(Pci);
        int scope = 36 + 15 + 15; // after \_S3 and \_S5
        Assert.Equal(0x10, t[scope]); // ScopeOp
        (int scopeLength, int size) = PkgLength(t, scope + 1);
        Assert.Equal(t.Length - scope - 1, scopeLength);
        Assert.Equal("\\_SB_"u8.ToArray(), t.AsSpan(scope + 1 + size, 5).ToArray());

        int device = scope + 1 + size + 5;
        Assert.Equal([0x5B, 0x82], t.AsSpan(device, 2).ToArray()); // DeviceOp
        (int deviceLength, int deviceSize) = PkgLength(t, device + 2);
        Assert.Equal(t.Length - device - 2, deviceLength);
        Assert.Equal("PCI0"u8.ToArray(), t.AsSpan(device + 2 + deviceSize, 4).ToArray());

        // Name (_HID, EisaId ("PNP0A03")) = DWord 0x030AD041.
        int hid = IndexOf(t, "\x08_HID"u8);
        Assert.Equal([0x0C, 0x41, 0xD0, 0x0A, 0x03], t.AsSpan(hid + 5, 5).ToArray());
        foreach (string name in new[] { "_UID", "_SEG", "_BBN" })
        {
            int at = IndexOf(t, [0x08, .. Encoding.ASCII.GetBytes(name)]);
            Assert.Equal(0, t[at + 5]); // Zero
        }
    }

    [Fact]
    public void Crs_holds_the_bus_range_config_ports_io_and_memory_windows()
    {
        byte[] t = Dsdt(Pci);
        int crs = IndexOf(t, "\x08_CRS"u8) + 5;
        Assert.Equal(0x11, t[crs]); // BufferOp
        (int length, int size) = PkgLength(t, crs + 1);
        byte[] buffer = t.AsSpan(crs + 1, length).ToArray();
        int sizeOp = size; // BufferSize is a ByteConst or WordConst
        int contentsLength = buffer[sizeOp] == 0x0A ? buffer[sizeOp + 1] : BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(sizeOp + 1));
        int contents = sizeOp + (buffer[sizeOp] == 0x0A ? 2 : 3);
        ReadOnlySpan<byte> r = buffer.AsSpan(contents, contentsLength);
        Assert.Equal(buffer.Length, contents + contentsLength);

        var descriptors = new List<byte[]>();
        while (r[0] != 0x79)
        {
            int n = (r[0] & 0x80) != 0 ? 3 + BinaryPrimitives.ReadUInt16LittleEndian(r[1..]) : 1 + (r[0] & 7);
            descriptors.Add(r[..n].ToArray());
            r = r[n..];
        }

        Assert.Equal(2, r.Length); // End Tag
        Assert.Equal([0x88, 0x47, 0x88, 0x88, 0x87, 0x87], descriptors.Select(d => (int)d[0]));
        Assert.Equal(2, descriptors[0][3]); // bus number range 0-0xFF
        Assert.Equal(0xFF, BinaryPrimitives.ReadUInt16LittleEndian(descriptors[0].AsSpan(10)));
        Assert.Equal(0xCF8, BinaryPrimitives.ReadUInt16LittleEndian(descriptors[1].AsSpan(2)));
        Assert.Equal(8, descriptors[1][7]);
        Assert.Equal(0xCF7, BinaryPrimitives.ReadUInt16LittleEndian(descriptors[2].AsSpan(10)));
        Assert.Equal(0xD00, BinaryPrimitives.ReadUInt16LittleEndian(descriptors[3].AsSpan(8)));
        Assert.Equal(0xC000_0000u, BinaryPrimitives.ReadUInt32LittleEndian(descriptors[4].AsSpan(10)));
        Assert.Equal(0xCFFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(descriptors[4].AsSpan(14)));
        Assert.Equal(0xD000_0000u, BinaryPrimitives.ReadUInt32LittleEndian(descriptors[5].AsSpan(10)));
        Assert.Equal(0xFEBF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(descriptors[5].AsSpan(14)));
    }

    [Fact]
    public void Prt_routes_four_pins_of_each_slot_to_the_swizzled_gsis()
    {
        byte[] t = Dsdt(Pci);
        int prt = IndexOf(t, "\x08_PRT"u8) + 5;
        Assert.Equal(0x12, t[prt]);
        (_, int size) = PkgLength(t, prt + 1);
        Assert.Equal(12, t[prt + 1 + size]); // 3 slots x 4 pins

        // Slot 5 pin INTB: Package (4) { 0x0005FFFF, One, Zero, 0x12 (GSI 16 + (5 + 1) % 4 = 18) }
        byte[] entry = [0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF, 0x05, 0x00, 0x01, 0x00, 0x0A, 18];
        IndexOf(t, entry);
    }

    [Fact]
    public void Iasl_disassembles_the_dsdt()
    {
        string? iasl = new[] { "/usr/bin/iasl", "/usr/local/bin/iasl" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(iasl is null, "iasl (acpica-tools) is not installed");
        string dir = Directory.CreateTempSubdirectory("sharpvmm-dsdt").FullName;
        try
        {
            string aml = Path.Combine(dir, "dsdt.aml");
            File.WriteAllBytes(aml, Dsdt(Pci));
            using var process = Process.Start(new ProcessStartInfo(iasl!, ["-d", aml])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = dir,
            })!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(30_000), "iasl timed out");
            Assert.True(process.ExitCode == 0, output);

            string dsl = File.ReadAllText(Path.Combine(dir, "dsdt.dsl"));
            Assert.Contains("Device (PCI0)", dsl, StringComparison.Ordinal);
            Assert.Contains("EisaId (\"PNP0A03\")", dsl, StringComparison.Ordinal);
            Assert.Contains("WordBusNumber (ResourceProducer", dsl, StringComparison.Ordinal);
            Assert.Contains("0xCFFFFFFF", dsl, StringComparison.Ordinal);
            Assert.Contains("0x0005FFFF", dsl, StringComparison.Ordinal);
            Assert.Contains("Package (0x0C)", dsl, StringComparison.Ordinal);
            Assert.Contains("Name (\\_S5, Package", dsl, StringComparison.Ordinal);
            Assert.Contains("Name (\\_S3, Package", dsl, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Mp_table_lists_the_pci_bus_and_a_level_low_entry_per_slot_and_pin()
    {
        byte[] table = MpTable.Build(0x9FC00, 2, Pci);
        Assert.Equal(MpTable.SizeFor(2, Pci), table.Length);
        ReadOnlySpan<byte> config = table.AsSpan(16);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(config[34..]);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(config[4..]);
        Assert.Equal(0, config[..length].ToArray().Aggregate(0, (s, b) => (s + b) & 0xFF));
        var entries = new List<byte[]>();
        for (int offset = 44, i = 0; i < count; i++)
        {
            int size = config[offset] == 0 ? 20 : 8;
            entries.Add(config.Slice(offset, size).ToArray());
            offset += size;
        }

        var buses = entries.Where(e => e[0] == 1).ToList();
        Assert.Equal(["0:PCI   ", "1:ISA   "], buses.Select(b => $"{b[1]}:{Encoding.ASCII.GetString(b, 2, 6)}"));
        var pciIrqs = entries.Where(e => e[0] == 3 && e[4] == 0).ToList();
        Assert.Equal(12, pciIrqs.Count);
        Assert.All(pciIrqs, e => Assert.Equal(0x0F, e[2])); // level, active low
        byte[] slot5IntB = Assert.Single(pciIrqs, e => e[5] == ((5 << 2) | 1));
        Assert.Equal(18, slot5IntB[7]);
        Assert.Equal(16, entries.Count(e => e[0] == 3 && e[4] == 1)); // ISA IRQs on bus 1
        Assert.Equal(MpTable.Build(0x9FC00, 2), MpTable.Build(0x9FC00, 2, null));
    }

    [Fact]
    public void Pci_description_rejects_bad_slots()
    {
        Assert.Throws<ArgumentException>(() => new PciRootDescription([0]));
        Assert.Throws<ArgumentException>(() => new PciRootDescription([32]));
        Assert.Throws<ArgumentException>(() => new PciRootDescription([3, 3]));
        Assert.Equal([1, 4], new PciRootDescription([4, 1]).Slots);
    }
}
