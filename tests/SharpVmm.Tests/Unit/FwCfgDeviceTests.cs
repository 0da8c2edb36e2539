using SharpVmm.Tests.Support;
using System.Buffers.Binary;
using System.Text;
using SharpVmm.Devices.Firmware;
using Xunit;
using static SharpVmm.Tests.Support.FwCfgReader;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class FwCfgDeviceTests
{
    private const ulong Sel = FwCfgDevice.SelectorOffset, Data = FwCfgDevice.DataOffset;

    [Fact]
    public void Signature_reads_QEMU_byte_by_byte()
    {
        var fw = new FwCfgDevice();
        Select(fw, FwCfgKey.Signature);

        Assert.Equal((byte)'Q', ReadByte(fw));
        Assert.Equal((byte)'E', ReadByte(fw));
        Assert.Equal((byte)'M', ReadByte(fw));
        Assert.Equal((byte)'U', ReadByte(fw));
        Assert.Equal(0, ReadByte(fw));
    }

    [Fact]
    public void The_signature_is_selected_at_power_on()
    {
        var fw = new FwCfgDevice();

        Assert.Equal(0, fw.Selector);
        Assert.Equal("QEMU"u8.ToArray(), ReadBytes(fw, 4));
    }

    [Fact]
    public void Id_reports_the_traditional_interface_only()
    {
        var fw = new FwCfgDevice();

        byte[] id = ReadItem(fw, FwCfgKey.Id, 4);

        Assert.Equal([0x01, 0x00, 0x00, 0x00], id);
        Assert.Equal(0, ReadByte(fw)); // a u32, nothing after it
    }

    [Fact]
    public void ForMachine_sets_ram_size_and_cpu_counts_little_endian()
    {
        var fw = FwCfgDevice.ForMachine(0x1_2345_6780, cpus: 2, maxCpus: 0x104);

        Assert.Equal(0x1_2345_6780ul, BinaryPrimitives.ReadUInt64LittleEndian(ReadItem(fw, FwCfgKey.RamSize, 8)));
        Assert.Equal([0x02, 0x00], ReadItem(fw, FwCfgKey.NbCpus, 2));
        Assert.Equal([0x04, 0x01], ReadItem(fw, FwCfgKey.MaxCpus, 2));
        Assert.Equal("QEMU"u8.ToArray(), ReadItem(fw, FwCfgKey.Signature, 4));
        Assert.Equal([0x01, 0, 0, 0], ReadItem(fw, FwCfgKey.Id, 4));
    }

    [Fact]
    public void ForMachine_defaults_max_cpus_to_the_boot_count()
    {
        var fw = FwCfgDevice.ForMachine(128 << 20, cpus: 3);

        Assert.Equal([0x03, 0x00], ReadItem(fw, FwCfgKey.MaxCpus, 2));
        Assert.Equal([0x00, 0x00, 0x00, 0x08, 0, 0, 0, 0], ReadItem(fw, FwCfgKey.RamSize, 8));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(65536, 0)]
    [InlineData(4, 2)]
    [InlineData(1, 65536)]
    public void ForMachine_rejects_impossible_cpu_counts(int cpus, int maxCpus)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FwCfgDevice.ForMachine(1 << 20, cpus, maxCpus));
    }

    [Fact]
    public void Integer_setters_write_little_endian_items()
    {
        var fw = new FwCfgDevice()
            .SetU16(FwCfgKey.BootMenu, 0x0102)
            .SetU32(FwCfgKey.MachineId, 0x0304_0506)
            .SetU64(FwCfgKey.Uuid, 0x0708_090A_0B0C_0D0E);

        Assert.Equal([0x02, 0x01], ReadItem(fw, FwCfgKey.BootMenu, 2));
        Assert.Equal([0x06, 0x05, 0x04, 0x03], ReadItem(fw, FwCfgKey.MachineId, 4));
        Assert.Equal([0x0E, 0x0D, 0x0C, 0x0B, 0x0A, 0x09, 0x08, 0x07], ReadItem(fw, FwCfgKey.Uuid, 8));
    }

    [Fact]
    public void Kernel_initrd_and_command_line_items_match_qemus_x86_linux_loader()
    {
        var fw = new FwCfgDevice()
            .SetKernel(0x10_0000, [1, 2, 3])
            .SetInitrd(0x700_0000, [4, 5])
            .SetCommandLine(0x2_0000, "console=ttyS0");

        Assert.Equal([0x00, 0x00, 0x10, 0x00], ReadItem(fw, FwCfgKey.KernelAddr, 4));
        Assert.Equal([3, 0, 0, 0], ReadItem(fw, FwCfgKey.KernelSize, 4));
        Assert.Equal([1, 2, 3, 0], ReadItem(fw, FwCfgKey.KernelData, 4));
        Assert.Equal([0x00, 0x00, 0x00, 0x07], ReadItem(fw, FwCfgKey.InitrdAddr, 4));
        Assert.Equal([2, 0, 0, 0], ReadItem(fw, FwCfgKey.InitrdSize, 4));
        Assert.Equal([4, 5, 0], ReadItem(fw, FwCfgKey.InitrdData, 3));
        Assert.Equal([0x00, 0x00, 0x02, 0x00], ReadItem(fw, FwCfgKey.CmdlineAddr, 4));
        Assert.Equal([14, 0, 0, 0], ReadItem(fw, FwCfgKey.CmdlineSize, 4));
        Assert.Equal("console=ttyS0\0\0"u8.ToArray(), ReadItem(fw, FwCfgKey.CmdlineData, 15));
    }

    [Fact]
    public void SetItem_copies_the_data()
    {
        byte[] data = [1, 2];
        var fw = new FwCfgDevice().SetItem(FwCfgKey.BootDevice, data);
        data[0] = 9;

        Assert.Equal([1, 2], ReadItem(fw, FwCfgKey.BootDevice, 2));
    }

    [Fact]
    public void SetItem_replaces_an_item()
    {
        var fw = new FwCfgDevice().SetU16(FwCfgKey.NoGraphic, 1).SetItem(FwCfgKey.NoGraphic, [7]);

        Assert.Equal([7, 0], ReadItem(fw, FwCfgKey.NoGraphic, 2));
    }

    [Theory]
    [InlineData(FwCfgKey.FileDir)]
    [InlineData(FwCfgKey.FileFirst)]
    [InlineData(0x3FFF)]
    [InlineData(FwCfgKey.WriteChannel | FwCfgKey.RamSize)]
    [InlineData(FwCfgKey.Invalid)]
    public void SetItem_rejects_keys_that_are_not_plain_items(ushort key)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FwCfgDevice().SetItem(key, [1]));
    }

    [Fact]
    public void Arch_local_items_are_a_separate_table()
    {
        const ushort E820Table = FwCfgKey.ArchLocal | 0x03; // FW_CFG_E820_TABLE on x86
        var fw = new FwCfgDevice().SetU64(FwCfgKey.RamSize, 5).SetItem(E820Table, [0xE8, 0x20]);

        Assert.Equal([0xE8, 0x20, 0], ReadItem(fw, E820Table, 3));
        Assert.Equal([5, 0, 0], ReadItem(fw, FwCfgKey.RamSize, 3));
        Assert.Equal([0, 0], ReadItem(fw, FwCfgKey.ArchLocal | FwCfgKey.Signature, 2));
    }

    [Fact]
    public void The_write_channel_bit_selects_the_same_item()
    {
        var fw = new FwCfgDevice();

        Assert.Equal("QEMU"u8.ToArray(), ReadItem(fw, FwCfgKey.WriteChannel | FwCfgKey.Signature, 4));
    }

    [Fact]
    public void An_empty_file_directory_has_count_zero()
    {
        var fw = new FwCfgDevice();

        Assert.Equal([0, 0, 0, 0, 0], ReadItem(fw, FwCfgKey.FileDir, 5));
        Assert.Empty(fw.Files);
    }

    [Fact]
    public void File_directory_is_big_endian_padded_and_sorted_by_name()
    {
        byte[] big = new byte[0x1_0203];
        var fw = new FwCfgDevice()
            .AddFile("etc/e820", [1, 2, 3, 4])
            .AddFile("bootorder", big)
            .AddFile("etc/acpi/tables", [9]);

        byte[] dir = ReadItem(fw, FwCfgKey.FileDir, 4 + (3 * 64));

        Assert.Equal([0, 0, 0, 3], dir[..4]);
        AssertEntry(dir, 0, 0x1_0203, 0x20, "bootorder");
        AssertEntry(dir, 1, 1, 0x21, "etc/acpi/tables");
        AssertEntry(dir, 2, 4, 0x22, "etc/e820");
        Assert.Equal(0, ReadByte(fw)); // nothing after the last entry
        Assert.Equal(
            [new FwCfgFile("bootorder", 0x20, 0x1_0203), new FwCfgFile("etc/acpi/tables", 0x21, 1), new FwCfgFile("etc/e820", 0x22, 4)],
            fw.Files);
    }

    private static void AssertEntry(byte[] dir, int index, uint size, ushort select, string name)
    {
        ReadOnlySpan<byte> entry = dir.AsSpan(4 + (index * 64), 64);
        Assert.Equal(size, BinaryPrimitives.ReadUInt32BigEndian(entry));
        Assert.Equal(select, BinaryPrimitives.ReadUInt16BigEndian(entry[4..]));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(entry[6..])); // reserved
        byte[] expectedName = new byte[56];
        Encoding.ASCII.GetBytes(name, expectedName);
        Assert.Equal(expectedName, entry[8..].ToArray()); // NUL-padded to 56 bytes
    }

    [Fact]
    public void Sorting_is_ordinal_like_strcmp()
    {
        var fw = new FwCfgDevice().AddFile("b", [1]).AddFile("a", [2]).AddFile("B", [3]).AddFile("a/x", [4]);

        Assert.Equal(["B", "a", "a/x", "b"], fw.Files.Select(f => f.Name));
        Assert.Equal([0x20, 0x21, 0x22, 0x23], fw.Files.Select(f => (int)f.Selector));
    }

    [Fact]
    public void A_file_reads_from_its_selector()
    {
        var fw = new FwCfgDevice().AddFile("etc/b", "second"u8.ToArray()).AddFile("etc/a", "first"u8.ToArray());

        Assert.Equal("first\0"u8.ToArray(), ReadItem(fw, 0x20, 6));
        Assert.Equal("second\0"u8.ToArray(), ReadItem(fw, 0x21, 7));
        Assert.Equal([0, 0], ReadItem(fw, 0x22, 2)); // no third file
    }

    [Fact]
    public void A_file_name_of_55_characters_fills_the_slot_with_one_nul()
    {
        string name = new('n', FwCfgDevice.MaxFileNameLength);
        var fw = new FwCfgDevice().AddFile(name, [1]);

        byte[] dir = ReadItem(fw, FwCfgKey.FileDir, 4 + 64);

        AssertEntry(dir, 0, 1, 0x20, name);
        Assert.Equal(0, dir[^1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    public void AddFile_rejects_bad_names(string name)
    {
        Assert.Throws<ArgumentException>(() => new FwCfgDevice().AddFile(name, [1]));
    }

    [Fact]
    public void AddFile_rejects_a_name_longer_than_55_characters_and_duplicates()
    {
        var fw = new FwCfgDevice().AddFile("etc/x", [1]);

        Assert.Throws<ArgumentException>(() => fw.AddFile(new string('n', 56), [1]));
        Assert.Throws<ArgumentException>(() => fw.AddFile("etc/x", [2]));
        Assert.Single(fw.Files);
    }

    [Fact]
    public void AddFile_copies_the_data()
    {
        byte[] data = [1];
        var fw = new FwCfgDevice().AddFile("f", data);
        data[0] = 2;

        Assert.Equal([1], ReadItem(fw, FwCfgKey.FileFirst, 1));
    }

    [Fact]
    public void Selecting_again_restarts_the_item()
    {
        var fw = new FwCfgDevice();
        Assert.Equal("QE"u8.ToArray(), ReadItem(fw, FwCfgKey.Signature, 2));

        Assert.Equal("QEMU"u8.ToArray(), ReadItem(fw, FwCfgKey.Signature, 4));
    }

    [Fact]
    public void Reads_past_the_end_return_zero_and_stay_there()
    {
        var fw = new FwCfgDevice().SetItem(FwCfgKey.BootDevice, [0x63]);

        Assert.Equal([0x63, 0, 0, 0], ReadItem(fw, FwCfgKey.BootDevice, 4));
        Assert.Equal([0x63], ReadItem(fw, FwCfgKey.BootDevice, 1));
    }

    [Theory]
    [InlineData(FwCfgKey.KernelData)]
    [InlineData(FwCfgKey.FileFirst)]
    [InlineData(0x1234)]
    [InlineData(FwCfgKey.Invalid)]
    public void An_unknown_key_is_an_empty_item(ushort key)
    {
        var fw = new FwCfgDevice();

        Assert.Equal([0, 0, 0], ReadItem(fw, key, 3));
        Assert.Equal(key, fw.Selector);
    }

    [Fact]
    public void A_byte_read_of_the_selector_port_reads_data_as_in_qemus_combined_region()
    {
        var fw = new FwCfgDevice();

        Assert.Equal((byte)'Q', ReadByte(fw, Sel));
        Assert.Equal((byte)'E', ReadByte(fw, Data));
    }

    [Fact]
    public void A_16_bit_write_selects_little_endian()
    {
        // Read big-endian, these bytes would select 0x0380, an empty file slot.
        var fw = new FwCfgDevice().SetItem(0x8003, [0x12]);

        fw.Write(Sel, [0x03, 0x80]);

        Assert.Equal(0x8003, fw.Selector);
        Assert.Equal(0x12, ReadByte(fw));
    }

    [Fact]
    public void Byte_writes_to_either_port_are_ignored_data_writes_not_half_a_selector()
    {
        var fw = new FwCfgDevice().SetU16(FwCfgKey.NbCpus, 4);
        Select(fw, FwCfgKey.NbCpus);

        // A guest that splits the selector into two byte writes selects nothing, as on QEMU.
        fw.Write(Sel, [(byte)FwCfgKey.Signature]);
        fw.Write(Data, [0x00]);

        Assert.Equal(FwCfgKey.NbCpus, fw.Selector);
        Assert.Equal(2, fw.IgnoredDataWrites);
        Assert.Equal([4, 0], ReadBytes(fw, 2)); // the offset did not move either
    }

    [Fact]
    public void A_16_bit_write_at_the_data_port_is_cut_to_a_byte_data_write()
    {
        var fw = new FwCfgDevice();

        fw.Write(Data, [(byte)FwCfgKey.Id, 0x00]);

        Assert.Equal(FwCfgKey.Signature, fw.Selector);
        Assert.Equal(1, fw.IgnoredDataWrites);
    }

    [Fact]
    public void A_32_bit_write_at_the_selector_selects_with_its_low_16_bits()
    {
        var fw = new FwCfgDevice().SetU32(FwCfgKey.MachineId, 0xCAFE);

        fw.Write(Sel, [(byte)FwCfgKey.MachineId, 0x00, 0xFF, 0xFF]);

        Assert.Equal(FwCfgKey.MachineId, fw.Selector);
        Assert.Equal([0xFE, 0xCA], ReadBytes(fw, 2));
    }

    [Fact]
    public void A_16_bit_read_is_invalid_returns_zero_and_consumes_nothing()
    {
        var fw = new FwCfgDevice();
        Span<byte> word = [0xAA, 0xAA];

        fw.Read(Sel, word);

        Assert.Equal([0, 0], word.ToArray());
        Assert.Equal(1, fw.InvalidAccesses);
        Assert.Equal("QEMU"u8.ToArray(), ReadBytes(fw, 4));
    }

    [Fact]
    public void Bytes_past_the_data_port_float()
    {
        var fw = new FwCfgDevice();
        Span<byte> word = [0xAA, 0xAA];
        Span<byte> dword = [0xAA, 0xAA, 0xAA, 0xAA];

        fw.Read(Data, word);
        fw.Read(Sel, dword);

        Assert.Equal([(byte)'Q', 0xFF], word.ToArray());
        Assert.Equal([0, 0, 0xFF, 0xFF], dword.ToArray());
        Assert.Equal((byte)'E', ReadByte(fw));
    }

    [Fact]
    public void Empty_accesses_do_nothing()
    {
        var fw = new FwCfgDevice();

        fw.Write(Sel, []);
        fw.Read(Data, []);

        Assert.Equal(0, fw.IgnoredDataWrites);
        Assert.Equal(0, fw.InvalidAccesses);
        Assert.Equal((byte)'Q', ReadByte(fw));
    }

    [Fact]
    public void Standard_ports_are_qemus()
    {
        Assert.Equal(0x510, FwCfgDevice.SelectorPort);
        Assert.Equal(0x511, FwCfgDevice.DataPort);
        Assert.Equal(2, FwCfgDevice.PortCount);
        Assert.Equal(FwCfgDevice.DataPort - FwCfgDevice.SelectorPort, FwCfgDevice.DataOffset);
    }

    [Fact]
    public async Task Concurrent_readers_consume_each_byte_exactly_once()
    {
        // Every byte non-zero so that a read past the end (0) is told apart from data.
        byte[] blob = [.. Enumerable.Range(0, 20_000).Select(i => (byte)((i % 255) + 1))];
        var fw = new FwCfgDevice().AddFile("blob", blob);
        Select(fw, FwCfgKey.FileFirst);

        Task<byte[]>[] readers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() => ReadBytes(fw, 15_000)))];
        byte[][] results = await Task.WhenAll(readers);

        byte[] data = [.. results.SelectMany(r => r).Where(b => b != 0)];
        Assert.Equal(blob.Length, data.Length);
        Assert.Equal(blob.Order(), data.Order());
    }
}
