using System.Text;
using SharpVmm.Boot;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Boot.Multiboot;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class MultibootLoaderTests
{
    private const ulong MiB = 1 << 20;
    private const ulong Info = 0x1_0000;

    private static MultibootBootInfo Load(GuestMemory memory, byte[] image, string cmdline = "", params MultibootModule[] modules) =>
        MultibootLoader.Load(memory, image, modules, cmdline, E820Map.ForGuestMemory(memory), MultibootLayout.Default, "kernel");

    private static BootImageException LoadFails(GuestMemory memory, byte[] image, params MultibootModule[] modules) =>
        Assert.Throws<BootImageException>(() => Load(memory, image, "", modules));

    private static string ReadString(GuestMemory memory, ulong address)
    {
        var bytes = new List<byte>();
        for (var at = new GuestAddress(address); memory.Read<byte>(at) != 0; at = at.Add(1))
        {
            bytes.Add(memory.Read<byte>(at));
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    [Fact]
    public void Header_with_the_aout_kludge_is_found_and_read()
    {
        byte[] image = new MultibootImageBuilder { HeaderOffset = 0x80 }.BuildFlat();

        MultibootHeader header = MultibootHeader.Find(image, "kernel");

        Assert.True(MultibootHeader.IsPresent(image));
        Assert.Equal(0x80, header.Offset);
        Assert.Equal(0x0001_0003u, header.Flags);
        Assert.True(header.HasAoutKludge);
        Assert.True(header.PageAlignModules);
        Assert.True(header.RequiresMemoryInfo);
        Assert.False(header.RequestsVideoMode);
        Assert.Equal(0x10_0080u, header.HeaderAddress);
        Assert.Equal(0x10_0000u, header.LoadAddress);
        Assert.Equal(0x10_2000u, header.LoadEndAddress);
        Assert.Equal(0x10_3000u, header.BssEndAddress);
        Assert.Equal(0x10_0100u, header.EntryAddress);
        Assert.Equal(0u, unchecked(MultibootHeader.Magic + header.Flags + header.Checksum));
    }

    [Fact]
    public void Header_may_end_exactly_at_8_KiB()
    {
        byte[] image = new MultibootImageBuilder { HeaderOffset = 8192 - 32, FileSize = 0x3000 }.BuildFlat();

        Assert.Equal(8192 - 32, MultibootHeader.Find(image, "kernel").Offset);
    }

    [Fact]
    public void Unaligned_magic_is_not_a_header()
    {
        byte[] image = new MultibootImageBuilder { HeaderOffset = 0x42 }.BuildFlat();

        var ex = Assert.Throws<BootImageException>(() => MultibootHeader.Find(image, "kernel"));

        Assert.Equal(BootImageError.BadMagic, ex.Error);
        Assert.Contains("no Multiboot header (magic 0x1badb002, 32-bit aligned) in the first 8192 bytes", ex.Message, StringComparison.Ordinal);
        Assert.False(MultibootHeader.IsPresent(image));
    }

    [Fact]
    public void Bad_checksum_is_rejected()
    {
        byte[] image = new MultibootImageBuilder { Checksum = 0x1234_5678 }.BuildFlat();

        var ex = Assert.Throws<BootImageException>(() => MultibootHeader.Find(image, "kernel"));

        Assert.Equal(BootImageError.BadMagic, ex.Error);
        Assert.StartsWith("kernel: Multiboot header at file offset 0x40 has a bad checksum", ex.Message, StringComparison.Ordinal);
        Assert.False(MultibootHeader.IsPresent(image));
    }

    [Fact]
    public void Header_beyond_the_first_8_KiB_says_so()
    {
        byte[] image = new MultibootImageBuilder { HeaderOffset = 0x2000, FileSize = 0x3000 }.BuildFlat();

        var ex = Assert.Throws<BootImageException>(() => MultibootHeader.Find(image, "kernel"));

        Assert.Equal(BootImageError.BadMagic, ex.Error);
        Assert.Contains("header beyond the first 8 KiB: magic 0x1badb002 at file offset 0x2000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_straddling_8_KiB_is_beyond_it()
    {
        byte[] image = new MultibootImageBuilder { HeaderOffset = 8192 - 8, FileSize = 0x3000, Flags = 0x3 }.BuildFlat();

        var ex = Assert.Throws<BootImageException>(() => MultibootHeader.Find(image, "kernel"));

        Assert.Contains("header beyond the first 8 KiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_required_flag_is_refused()
    {
        byte[] image = new MultibootImageBuilder { Flags = 0x0001_0008 }.BuildFlat();

        var ex = Assert.Throws<BootImageException>(() => MultibootHeader.Find(image, "kernel"));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Contains("require features SharpVmm does not offer (bits 0x8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Video_mode_request_and_unknown_optional_flags_are_accepted()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] image = new MultibootImageBuilder { Flags = 0x0003_0007 }.BuildFlat();

        MultibootBootInfo info = Load(memory, image);

        Assert.True(info.Header.RequestsVideoMode);
        Assert.Equal(new GuestAddress(0x10_0100), info.EntryPoint);
    }

    [Fact]
    public void Flat_image_is_loaded_at_load_addr_and_its_bss_zeroed()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        memory.GetSpan(new GuestAddress(0x10_0000), 0x4000).Fill(0xEE);
        // The header is 0x1040 into the file and 0x1000 above load_addr, so the load starts at file offset 0x40.
        byte[] image = new MultibootImageBuilder
        {
            HeaderOffset = 0x1040, HeaderAddress = 0x10_1000, LoadEndAddress = 0x10_1800, BssEndAddress = 0x10_2800, EntryAddress = 0x10_0010,
        }.BuildFlat();

        MultibootBootInfo info = Load(memory, image);

        Assert.Equal(new GuestAddress(0x10_0010), info.EntryPoint);
        Assert.Equal(new GuestAddress(Info), info.InfoAddress);
        Assert.Equal(new GuestAddress(0x10_0000), info.KernelStart);
        Assert.Equal(new GuestAddress(0x10_2800), info.KernelEnd);
        Assert.Equal(image[0x40..0x1840], memory.GetSpan(new GuestAddress(0x10_0000), 0x1800).ToArray());
        Assert.All(memory.GetSpan(new GuestAddress(0x10_1800), 0x1000).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0xEE, memory.Read<byte>(new GuestAddress(0x10_2800)));
    }

    [Fact]
    public void Zero_load_end_loads_the_whole_file_and_zero_bss_end_means_no_bss()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] image = new MultibootImageBuilder { LoadEndAddress = 0, BssEndAddress = 0 }.BuildFlat();

        MultibootBootInfo info = Load(memory, image);

        Assert.Equal(new GuestAddress(0x10_2000), info.KernelEnd);
        Assert.Equal(image, memory.GetSpan(new GuestAddress(0x10_0000), image.Length).ToArray());
    }

    public static TheoryData<uint?, uint?, uint?, uint?, string> InconsistentAddressFields => new()
    {
        { 0x0F_F000, null, null, null, "header_addr 0xff000 is below load_addr 0x100000" },
        { 0x10_1000, null, null, null, "puts the load start before the file's first byte" },
        { null, 0x0F_0000, null, null, "load_end_addr 0xf0000 is before load_addr 0x100000" },
        { null, null, 0x10_1000, null, "bss_end_addr 0x101000 is before the end of the loaded bytes 0x102000" },
        { null, null, null, 0x10_2000, "entry_addr 0x102000 is outside the loaded image [0x100000, 0x102000)" },
        { null, null, null, 0x0F_FFFF, "entry_addr 0xfffff is outside the loaded image" },
    };

    [Theory]
    [MemberData(nameof(InconsistentAddressFields))]
    public void Inconsistent_aout_kludge_fields_are_rejected(uint? headerAddress, uint? loadEnd, uint? bssEnd, uint? entry, string message)
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] image = new MultibootImageBuilder
        {
            HeaderAddress = headerAddress, LoadEndAddress = loadEnd, BssEndAddress = bssEnd, EntryAddress = entry,
        }.BuildFlat();

        BootImageException ex = LoadFails(memory, image);

        Assert.Equal(BootImageError.Malformed, ex.Error);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_end_past_the_file_is_truncated()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        BootImageException ex = LoadFails(memory, new MultibootImageBuilder { LoadEndAddress = 0x10_3000 }.BuildFlat());

        Assert.Equal(BootImageError.Truncated, ex.Error);
    }

    [Fact]
    public void Load_address_outside_guest_memory_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(MiB);

        BootImageException ex = LoadFails(memory, new MultibootImageBuilder().BuildFlat());

        Assert.Equal(BootImageError.LoadAddressOutsideMemory, ex.Error);
        Assert.Contains("kernel range [0x100000, 0x103000) is outside guest memory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_address_in_reserved_memory_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] image = new MultibootImageBuilder { LoadAddress = 0xF_0000, EntryAddress = 0xF_0100 }.BuildFlat();

        BootImageException ex = LoadFails(memory, image);

        Assert.Equal(BootImageError.LoadAddressOutsideMemory, ex.Error);
        Assert.Contains("kernel range [0xf0000, 0xf3000) is not all usable RAM in the memory map", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kernel_over_the_boot_structures_is_an_overlap()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] image = new MultibootImageBuilder { LoadAddress = 0x1_0000, EntryAddress = 0x1_0100 }.BuildFlat();

        BootImageException ex = LoadFails(memory, image);

        Assert.Equal(BootImageError.Overlap, ex.Error);
        Assert.Contains("the Multiboot information structure [0x10000, 0x10074) overlaps the kernel at 0x10000", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, memory.Read<byte>(new GuestAddress(0x1_0000)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Elf_segments_go_to_their_physical_addresses_and_e_entry_is_translated(bool is64)
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        memory.GetSpan(new GuestAddress(0x10_0000), 0x4000).Fill(0xEE);
        MultibootImageBuilder builder = MultibootImageBuilder.ForElf();
        builder.ElfSegments.Add((0x10_0000, 0xC010_0000, 0x800, 0x3000));
        builder.ElfSegments.Add((0x20_0000, 0xC020_0000, 0x200, 0x200));
        byte[] image = builder.BuildElf(is64);

        MultibootBootInfo info = Load(memory, image);

        Assert.False(info.Header.HasAoutKludge);
        Assert.Equal(new GuestAddress(0x10_0100), info.EntryPoint);
        Assert.Equal(new GuestAddress(0x10_0000), info.KernelStart);
        Assert.Equal(new GuestAddress(0x20_0200), info.KernelEnd);
        Assert.Equal(image[0x1000..0x1800], memory.GetSpan(new GuestAddress(0x10_0000), 0x800).ToArray());
        Assert.All(memory.GetSpan(new GuestAddress(0x10_0800), 0x2800).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(image[0x1800..0x1A00], memory.GetSpan(new GuestAddress(0x20_0000), 0x200).ToArray());
    }

    [Fact]
    public void Elf_entry_outside_every_segment_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        MultibootImageBuilder builder = MultibootImageBuilder.ForElf();
        builder.ElfEntry = 0xC050_0000;

        BootImageException ex = LoadFails(memory, builder.BuildElf());

        Assert.Equal(BootImageError.Malformed, ex.Error);
        Assert.Contains("e_entry 0xc0500000 is not inside the file bytes of any PT_LOAD segment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Elf64_entry_above_4_GiB_is_refused()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        MultibootImageBuilder builder = MultibootImageBuilder.ForElf();
        builder.ElfSegments.Add((0x1_0010_0000, 0xFFFF_FFFF_8010_0000, 0x800, 0x1000));
        builder.ElfEntry = 0xFFFF_FFFF_8010_0100;

        BootImageException ex = LoadFails(memory, builder.BuildElf(is64: true));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Contains("entry point at physical 0x100100100 is above 4 GiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_elf_segments_are_rejected()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        MultibootImageBuilder builder = MultibootImageBuilder.ForElf();
        builder.ElfSegments.Add((0x10_0000, 0xC010_0000, 0x800, 0x3000));
        builder.ElfSegments.Add((0x10_2000, 0xC010_2000, 0x200, 0x200));

        BootImageException ex = LoadFails(memory, builder.BuildElf());

        Assert.Equal(BootImageError.Malformed, ex.Error);
        Assert.Contains("overlap in physical memory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_elf_image_without_the_aout_kludge_is_refused()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        BootImageException ex = LoadFails(memory, new MultibootImageBuilder { Flags = 0x3 }.BuildFlat());

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Contains("no a.out kludge (flags bit 16) and the file is not ELF", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Information_structure_fields_are_at_their_spec_offsets()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        MultibootBootInfo info = Load(memory, new MultibootImageBuilder().BuildFlat(), "console=ttyS0 debug",
            new MultibootModule(new byte[100], "initrd.img", "initrd.img"));

        var mbi = new GuestAddress(Info);
        // Bits 0 (mem), 2 (cmdline), 3 (mods), 6 (mmap), 9 (boot_loader_name).
        Assert.Equal(0x24Du, memory.Read<uint>(mbi));
        Assert.Equal(639u, memory.Read<uint>(mbi.Add(4)));
        Assert.Equal(31u * 1024, memory.Read<uint>(mbi.Add(8)));
        Assert.Equal(0u, memory.Read<uint>(mbi.Add(12)));
        Assert.Equal("console=ttyS0 debug", ReadString(memory, memory.Read<uint>(mbi.Add(16))));
        Assert.Equal(info.CommandLine.Value, memory.Read<uint>(mbi.Add(16)));
        Assert.Equal(1u, memory.Read<uint>(mbi.Add(20)));
        Assert.Equal(0x1_0100u, memory.Read<uint>(mbi.Add(24)));
        Assert.Equal(4u * 24, memory.Read<uint>(mbi.Add(44)));
        Assert.Equal(0x1_0800u, memory.Read<uint>(mbi.Add(48)));
        Assert.Equal("SharpVmm", ReadString(memory, memory.Read<uint>(mbi.Add(64))));
        Assert.Equal(0u, memory.Read<uint>(mbi.Add(68)));
        Assert.Equal(639u, info.MemLowerKiB);
        Assert.Equal(31u * 1024, info.MemUpperKiB);
    }

    [Fact]
    public void Memory_map_entries_match_the_e820_map()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        E820Entry[] map =
        [
            new(0, 0x9_FC00, E820Type.Ram), new(0x9_FC00, 0x400, E820Type.Reserved), new(0xF_0000, 0x1_0000, E820Type.Reserved),
            new(0x10_0000, 15 * MiB, E820Type.Ram), new(16 * MiB, MiB, E820Type.Acpi), new(17 * MiB, 15 * MiB, E820Type.Ram),
        ];

        MultibootBootInfo info = MultibootLoader.Load(memory, new MultibootImageBuilder().BuildFlat(), [], "", map, MultibootLayout.Default);

        Assert.Equal((uint)(map.Length * 24), memory.Read<uint>(new GuestAddress(Info + 44)));
        for (int i = 0; i < map.Length; i++)
        {
            var slot = new GuestAddress(0x1_0800 + ((ulong)i * 24));
            Assert.Equal(20u, memory.Read<uint>(slot));
            Assert.Equal(map[i].Address, memory.Read<ulong>(slot.Add(4)));
            Assert.Equal(map[i].Size, memory.Read<ulong>(slot.Add(12)));
            Assert.Equal((uint)map[i].Type, memory.Read<uint>(slot.Add(20)));
        }

        // mem_upper stops at the first hole above 1 MiB.
        Assert.Equal(15u * 1024, info.MemUpperKiB);
    }

    [Fact]
    public void Modules_are_page_aligned_above_the_kernel_with_their_strings()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] first = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 3))];
        byte[] second = [.. Enumerable.Range(0, 100).Select(i => (byte)(i + 9))];
        byte[] third = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 5))];

        MultibootBootInfo info = Load(memory, new MultibootImageBuilder().BuildFlat(), "",
            new MultibootModule(first, "first arg=1", "a.bin"), new MultibootModule(second, "", "b.bin"),
            new MultibootModule(third, "third", "c.bin"));

        // The kernel ends at 0x103000 (bss included).
        ulong[] starts = [0x10_3000, 0x10_5000, 0x10_6000];
        byte[][] contents = [first, second, third];
        string[] strings = ["first arg=1", "", "third"];
        Assert.Equal(3u, memory.Read<uint>(new GuestAddress(Info + 20)));
        for (int i = 0; i < 3; i++)
        {
            var entry = new GuestAddress(0x1_0100 + ((ulong)i * 16));
            uint start = memory.Read<uint>(entry);
            Assert.Equal(starts[i], start);
            Assert.Equal(0u, start % 4096);
            Assert.Equal(start + (uint)contents[i].Length, memory.Read<uint>(entry.Add(4)));
            Assert.Equal(strings[i], ReadString(memory, memory.Read<uint>(entry.Add(8))));
            Assert.Equal(0u, memory.Read<uint>(entry.Add(12)));
            Assert.Equal(contents[i], memory.GetSpan(new GuestAddress(start), contents[i].Length).ToArray());
            Assert.Equal(new MultibootModuleEntry(start, start + (uint)contents[i].Length, memory.Read<uint>(entry.Add(8))), info.Modules[i]);
        }
    }

    [Fact]
    public void Without_modules_the_count_is_zero()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        MultibootBootInfo info = Load(memory, new MultibootImageBuilder().BuildFlat());

        Assert.Empty(info.Modules);
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(Info + 20)));
    }

    [Fact]
    public void Module_too_large_for_memory_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(4 * MiB);

        BootImageException ex = LoadFails(memory, new MultibootImageBuilder().BuildFlat(),
            new MultibootModule(new byte[MiB], "", "small.bin"), new MultibootModule(new byte[3 * MiB], "", "big.bin"));

        Assert.Equal(BootImageError.InitrdDoesNotFit, ex.Error);
        Assert.StartsWith("big.bin: module 1 of 3145728 bytes does not fit", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(Info)));
        Assert.Equal(0, memory.Read<byte>(new GuestAddress(0x10_0000)));
    }

    [Fact]
    public void Strings_larger_than_the_layout_are_rejected()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        var ex = Assert.Throws<BootImageException>(() => Load(memory, new MultibootImageBuilder().BuildFlat(), new string('a', 0xE000)));

        Assert.Equal(BootImageError.CommandLineTooLong, ex.Error);
    }
}
