using SharpVmm.Tests.Support;
using System.Buffers.Binary;
using System.Text;
using SharpVmm.Devices.Acpi;
using SharpVmm.Memory;
using SharpVmm.X86;
using SharpVmm.X86.Acpi;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class AcpiTablesTests
{
    private static readonly AcpiLayout Layout = AcpiLayout.Default;

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(254)]
    public void An_os_finds_the_rsdp_by_scanning_and_every_table_it_points_to_is_well_formed(int cpus)
    {
        using var memory = GuestMemory.CreateFlat(2 << 20);
        GuestAddress written = AcpiTables.Write(memory, cpus, Layout);

        ulong rsdp = FindRsdp(memory);
        Assert.Equal(written.Value, rsdp);
        byte[] pointer = Read(memory, rsdp, 36);
        Assert.Equal(0, Sum(pointer.AsSpan(0, 20)));
        Assert.Equal(0, Sum(pointer));
        Assert.Equal("SHRPVM", Encoding.ASCII.GetString(pointer, 9, 6));
        Assert.Equal(2, pointer[15]);
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(20)));

        ulong rsdtAddress = BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(16));
        ulong xsdtAddress = BinaryPrimitives.ReadUInt64LittleEndian(pointer.AsSpan(24));
        byte[] rsdt = Table(memory, rsdtAddress, "RSDT");
        byte[] xsdt = Table(memory, xsdtAddress, "XSDT");

        ulong[] fromRsdt = Enumerable.Range(0, (rsdt.Length - 36) / 4)
            .Select(i => (ulong)BinaryPrimitives.ReadUInt32LittleEndian(rsdt.AsSpan(36 + (i * 4)))).ToArray();
        ulong[] fromXsdt = Enumerable.Range(0, (xsdt.Length - 36) / 8)
            .Select(i => BinaryPrimitives.ReadUInt64LittleEndian(xsdt.AsSpan(36 + (i * 8)))).ToArray();
        Assert.Equal(fromXsdt, fromRsdt);
        Assert.Equal(["FACP", "APIC"], fromXsdt.Select(a => Encoding.ASCII.GetString(Read(memory, a, 4))));

        byte[] fadt = Table(memory, fromXsdt[0], "FACP");
        Assert.Equal(276, fadt.Length);
        Table(memory, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(140)), "DSDT");
        Table(memory, fromXsdt[1], "APIC");

        ulong end = rsdp + (ulong)AcpiTables.SizeFor((uint)rsdp, cpus);
        Assert.InRange(end, rsdp, AcpiTables.BiosAreaEnd);
    }

    [Fact]
    public void Fadt_describes_the_layouts_fixed_hardware_ports()
    {
        (byte[] all, uint at) = Build(2);
        byte[] fadt = TableBySignature(all, at, "FACP");

        Assert.Equal(6, fadt[8]); // revision
        Assert.Equal(4, fadt[131]); // minor version: ACPI 6.4
        Assert.Equal(Layout.SciIrq, BinaryPrimitives.ReadUInt16LittleEndian(fadt.AsSpan(46)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(48))); // SMI_CMD: always in ACPI mode
        Assert.Equal(Layout.Pm1aEventPort, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(56)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(60))); // no PM1b
        Assert.Equal(Layout.Pm1aControlPort, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(64)));
        Assert.Equal(Layout.PmTimerPort, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(76)));
        Assert.Equal([4, 2, 0, 4, 0, 0], fadt.AsSpan(88, 6).ToArray()); // PM1_EVT_LEN, PM1_CNT_LEN, PM2, PM_TMR_LEN, GPE0, GPE1
        Assert.Equal(AcpiPm1EventBlock.BlockLength, fadt[88]);
        Assert.Equal(AcpiPm1ControlBlock.BlockLength, fadt[89]);
        Assert.Equal(AcpiPmTimer.BlockLength, fadt[91]);
        Assert.Equal(0x32, fadt[108]); // CMOS century index

        ushort bootArch = BinaryPrimitives.ReadUInt16LittleEndian(fadt.AsSpan(109));
        Assert.Equal(0b11, bootArch & 0b11); // LEGACY_DEVICES, 8042
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(112));
        Assert.NotEqual(0u, flags & (1 << 10)); // RESET_REG_SUP
        Assert.Equal(0u, flags & (1 << 8));     // TMR_VAL_EXT: 24-bit timer
        Assert.Equal(0u, flags & (1 << 20));    // not HW_REDUCED_ACPI

        AssertIoGas(fadt.AsSpan(116), Layout.ResetPort, bitWidth: 8, accessSize: 1);
        Assert.Equal(Layout.ResetValue, fadt[128]);
        AssertIoGas(fadt.AsSpan(148), Layout.Pm1aEventPort, bitWidth: 32, accessSize: 2);
        AssertIoGas(fadt.AsSpan(172), Layout.Pm1aControlPort, bitWidth: 16, accessSize: 2);
        AssertIoGas(fadt.AsSpan(208), Layout.PmTimerPort, bitWidth: 32, accessSize: 3);
        Assert.All([160, 184, 196, 220, 232, 244, 256], o => Assert.Equal(new byte[12], fadt.AsSpan(o, 12).ToArray()));
    }

    [Fact]
    public void Fadt_points_at_the_facs_and_dsdt_through_both_32_and_64_bit_fields()
    {
        (byte[] all, uint at) = Build(1);
        byte[] fadt = TableBySignature(all, at, "FACP");

        uint facs = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(36));
        uint dsdt = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(40));
        Assert.Equal(facs, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(132)));
        Assert.Equal(dsdt, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(140)));

        Assert.Equal(0u, facs % 64);
        ReadOnlySpan<byte> f = all.AsSpan((int)(facs - at), 64);
        Assert.Equal("FACS", Encoding.ASCII.GetString(f[..4]));
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(f[4..]));
        Assert.Equal(2, f[32]); // version
        Assert.Equal("DSDT", Encoding.ASCII.GetString(all, (int)(dsdt - at), 4));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(0)]
    public void Dsdt_holds_the_s5_package_with_the_layouts_sleep_type(byte sleepType)
    {
        (byte[] all, uint at) = Build(1, Layout with { S5SleepType = sleepType, S3SleepType = null });
        byte[] fadt = TableBySignature(all, at, "FACP");
        uint dsdtAddress = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(40));
        byte[] dsdt = TableAt(all, at, dsdtAddress, "DSDT");

        Assert.Equal(2, dsdt[8]); // revision 2: 64-bit integers
        // Name (\_S5, Package (0x04) { sleepType, sleepType, Zero, Zero })
        byte[] aml = [0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04, 0x0A, sleepType, 0x0A, sleepType, 0x00, 0x00];
        Assert.Equal(aml, dsdt.AsSpan(36).ToArray());
    }

    [Fact]
    public void Dsdt_offers_s3_with_qemus_sleep_type_before_s5()
    {
        (byte[] all, uint at) = Build(1);
        byte[] fadt = TableBySignature(all, at, "FACP");
        byte[] dsdt = TableAt(all, at, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(40)), "DSDT");

        // Name (\_S3, Package (0x04) { 0x01, 0x01, Zero, Zero }) then Name (\_S5, ...)
        byte[] s3 = [0x08, 0x5C, 0x5F, 0x53, 0x33, 0x5F, 0x12, 0x08, 0x04, 0x0A, 0x01, 0x0A, 0x01, 0x00, 0x00];
        Assert.Equal((byte?)1, Layout.S3SleepType);
        Assert.Equal(s3, dsdt.AsSpan(36, 15).ToArray());
        Assert.Equal([0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F], dsdt.AsSpan(36 + 15, 6).ToArray());
    }

    [Fact]
    public void The_fadt_points_to_a_facs_whose_waking_vector_the_vmm_reads_back()
    {
        using var memory = GuestMemory.CreateFlat(2 << 20);
        GuestAddress rsdp = AcpiTables.Write(memory, 2, Layout);
        byte[] rsdpBytes = Read(memory, rsdp.Value, 36);
        byte[] fadt = Read(memory, BinaryPrimitives.ReadUInt32LittleEndian(Read(memory, BinaryPrimitives.ReadUInt32LittleEndian(rsdpBytes.AsSpan(16)) + 36, 4)), 276);
        uint facs = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(36));

        Assert.Equal(AcpiTables.FacsAddress(Layout).Value, facs);
        Assert.Equal(0u, AcpiTables.ReadFirmwareWakingVector(memory, Layout));
        memory.Write(new GuestAddress(facs + 12), 0x0009_8760u); // Firmware Waking Vector, ACPI 6.4 table 5.14
        Assert.Equal(0x0009_8760u, AcpiTables.ReadFirmwareWakingVector(memory, Layout));
    }

    [Fact]
    public void A_layout_whose_s3_and_s5_sleep_types_collide_is_refused()
    {
        using var memory = GuestMemory.CreateFlat(2 << 20);
        Assert.Throws<ArgumentException>(() => AcpiTables.Write(memory, 1, Layout with { S3SleepType = 5 }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Madt_lists_every_vcpu_the_ioapic_the_sci_override_and_lint1_nmi(int cpus)
    {
        (byte[] all, uint at) = Build(cpus);
        byte[] madt = TableBySignature(all, at, "APIC");

        Assert.Equal(MpTable.LocalApicAddress, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(36)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(40))); // PCAT_COMPAT
        List<byte[]> entries = MadtEntries(madt);

        var lapics = entries.Where(e => e[0] == 0).ToList();
        Assert.Equal(Enumerable.Range(0, cpus), lapics.Select(e => (int)e[2])); // processor UID
        Assert.Equal(Enumerable.Range(0, cpus), lapics.Select(e => (int)e[3])); // APIC ID
        Assert.All(lapics, e => Assert.Equal(8, e[1]));
        Assert.All(lapics, e => Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(4)))); // enabled

        byte[] ioApic = Assert.Single(entries, e => e[0] == 1);
        Assert.Equal(12, ioApic[1]);
        Assert.Equal(cpus, ioApic[2]);
        Assert.Equal(MpTable.IoApicAddress, BinaryPrimitives.ReadUInt32LittleEndian(ioApic.AsSpan(4)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(ioApic.AsSpan(8)));

        // Only the SCI is overridden (level, active high); IRQ 0 keeps pin 0, as KVM's IOAPIC wires it.
        byte[] iso = Assert.Single(entries, e => e[0] == 2);
        Assert.Equal(10, iso[1]);
        Assert.Equal(0, iso[2]); // ISA
        Assert.Equal(9, iso[3]);
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(iso.AsSpan(4)));
        Assert.Equal(0x000D, BinaryPrimitives.ReadUInt16LittleEndian(iso.AsSpan(8)));

        byte[] nmi = Assert.Single(entries, e => e[0] == 4);
        Assert.Equal(6, nmi[1]);
        Assert.Equal(0xFF, nmi[2]); // all processors
        Assert.Equal(1, nmi[5]);    // LINT1
        Assert.Equal(cpus + 3, entries.Count);
    }

    [Fact]
    public void The_facs_is_64_byte_aligned_wherever_the_rsdp_goes()
    {
        for (uint at = 0xE0000; at < 0xE0080; at += 16)
        {
            byte[] all = AcpiTables.Build(at, 2, Layout);
            byte[] fadt = TableBySignature(all, at, "FACP");
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(36)) % 64);
        }
    }

    [Fact]
    public void Write_rejects_places_an_os_would_not_search_and_bad_layouts()
    {
        using var memory = GuestMemory.CreateFlat(2 << 20);

        Assert.Throws<ArgumentException>(() => AcpiTables.Write(memory, 1, Layout with { TablesAddress = new GuestAddress(0xE0008) }));
        Assert.Throws<ArgumentException>(() => AcpiTables.Write(memory, 1, Layout with { TablesAddress = new GuestAddress(0xD0000) }));
        Assert.Throws<ArgumentException>(() => AcpiTables.Write(memory, 1, Layout with { TablesAddress = new GuestAddress(0xFFF00) }));
        Assert.Throws<ArgumentException>(() => AcpiTables.Write(memory, 1, Layout with { S5SleepType = 8 }));
        Assert.Throws<ArgumentException>(() => AcpiTables.Write(memory, 1, Layout with { SciIrq = 16 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiTables.Write(memory, 0, Layout));
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiTables.Write(memory, 255, Layout));
    }

    [Fact]
    public void Write_puts_the_built_bytes_at_the_layouts_address()
    {
        using var memory = GuestMemory.CreateFlat(2 << 20);
        var layout = Layout with { TablesAddress = new GuestAddress(0xF5A10) };

        GuestAddress rsdp = AcpiTables.Write(memory, 2, layout);

        Assert.Equal(0xF5A10ul, rsdp.Value);
        byte[] expected = AcpiTables.Build(0xF5A10, 2, layout);
        Assert.Equal(expected, Read(memory, rsdp.Value, expected.Length));
    }

    private static (byte[] All, uint At) Build(int cpus, AcpiLayout? layout = null)
    {
        uint at = (uint)(layout ?? Layout).TablesAddress.Value;
        return (AcpiTables.Build(at, cpus, layout ?? Layout), at);
    }

    // The standard search: every 16-byte boundary of the BIOS area, signature and ACPI 1.0 checksum.
    private static ulong FindRsdp(GuestMemory memory)
    {
        for (ulong a = AcpiTables.BiosAreaStart; a < AcpiTables.BiosAreaEnd; a += 16)
        {
            byte[] candidate = Read(memory, a, 20);
            if (Encoding.ASCII.GetString(candidate, 0, 8) == "RSD PTR " && Sum(candidate) == 0)
            {
                return a;
            }
        }

        Assert.Fail("no RSDP in [0xE0000, 0x100000)");
        return 0;
    }

    // Reads a table by its header's length and checks signature, OEM fields and checksum.
    private static byte[] Table(GuestMemory memory, ulong address, string signature)
    {
        byte[] header = Read(memory, address, 36);
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        byte[] table = Read(memory, address, length);
        CheckTable(table, signature);
        return table;
    }

    private static void CheckTable(byte[] table, string signature)
    {
        Assert.Equal(signature, Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal(table.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4)));
        Assert.Equal(0, Sum(table));
        Assert.Equal("SHRPVM", Encoding.ASCII.GetString(table, 10, 6));
        Assert.Equal("SHARPVMM", Encoding.ASCII.GetString(table, 16, 8));
    }

    private static byte[] TableAt(byte[] all, uint at, ulong address, string signature)
    {
        int offset = (int)(address - at);
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(offset + 4));
        byte[] table = all.AsSpan(offset, length).ToArray();
        CheckTable(table, signature);
        return table;
    }

    private static byte[] TableBySignature(byte[] all, uint at, string signature)
    {
        ulong xsdt = BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(24));
        byte[] root = TableAt(all, at, xsdt, "XSDT");
        for (int o = 36; o < root.Length; o += 8)
        {
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(root.AsSpan(o));
            if (Encoding.ASCII.GetString(all, (int)(address - at), 4) == signature)
            {
                return TableAt(all, at, address, signature);
            }
        }

        Assert.Fail($"no {signature} in the XSDT");
        return [];
    }

    private static List<byte[]> MadtEntries(byte[] madt)
    {
        var entries = new List<byte[]>();
        for (int o = 44; o < madt.Length; o += madt[o + 1])
        {
            Assert.True(madt[o + 1] >= 2, "a MADT entry's length is at least its header");
            entries.Add(madt.AsSpan(o, madt[o + 1]).ToArray());
        }

        Assert.Equal(madt.Length, entries.Sum(e => e.Length) + 44);
        return entries;
    }

    private static void AssertIoGas(ReadOnlySpan<byte> gas, ushort port, byte bitWidth, byte accessSize)
    {
        Assert.Equal(1, gas[0]); // system I/O
        Assert.Equal(bitWidth, gas[1]);
        Assert.Equal(0, gas[2]);
        Assert.Equal(accessSize, gas[3]);
        Assert.Equal(port, BinaryPrimitives.ReadUInt64LittleEndian(gas[4..]));
    }

    private static byte[] Read(GuestMemory memory, ulong address, int length)
    {
        byte[] bytes = new byte[length];
        memory.Read(new GuestAddress(address), bytes);
        return bytes;
    }

    private static int Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return sum;
    }
}
