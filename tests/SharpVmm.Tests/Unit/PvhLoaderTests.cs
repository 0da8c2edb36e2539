using SharpVmm.Boot;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Boot.Pvh;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class PvhLoaderTests
{
    private const ulong MiB = 1 << 20;

    [Theory]
    [InlineData(true, 4)]
    [InlineData(true, 8)]
    [InlineData(false, 4)]
    public void Entry_comes_from_the_Xen_note_and_start_info_goes_in_ebx(bool is64, int descriptorSize)
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] elf = new ElfBuilder { Is64 = is64, Machine = is64 ? (ushort)62 : (ushort)3, PvhDescriptorSize = descriptorSize }.Build();

        PvhBootInfo info = PvhLoader.Load(memory, elf, [], "console=hvc0", PvhBootLayout.Default);

        Assert.Equal(new GuestAddress(0x10_0040), info.EntryPoint);
        Assert.Equal(new GuestAddress(0x6000), info.StartInfo);
        Assert.Equal(new GuestAddress(0x10_0000), info.KernelStart);
        Assert.Equal(new GuestAddress(0x10_1000), info.KernelEnd);
        Assert.Equal(elf[ElfBuilder.DataOffset..(ElfBuilder.DataOffset + 0x200)], memory.GetSpan(new GuestAddress(0x10_0000), 0x200).ToArray());
    }

    [Fact]
    public void Start_info_fields_are_at_their_offsets()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        PvhBootLayout layout = PvhBootLayout.Default with { AcpiRsdp = new GuestAddress(0xE_0000) };

        PvhBootInfo info = PvhLoader.Load(memory, new ElfBuilder().Build(), new byte[100], "console=hvc0", layout);

        var si = new GuestAddress(0x6000);
        Assert.Equal(0x336E_C578u, memory.Read<uint>(si));
        Assert.Equal(1u, memory.Read<uint>(si.Add(0x04)));
        Assert.Equal(0u, memory.Read<uint>(si.Add(0x08)));
        Assert.Equal(1u, memory.Read<uint>(si.Add(0x0C)));
        Assert.Equal(0x6040ul, memory.Read<ulong>(si.Add(0x10)));
        Assert.Equal(0x2_0000ul, memory.Read<ulong>(si.Add(0x18)));
        Assert.Equal(0xE_0000ul, memory.Read<ulong>(si.Add(0x20)));
        Assert.Equal(0x7000ul, memory.Read<ulong>(si.Add(0x28)));
        Assert.Equal(4u, memory.Read<uint>(si.Add(0x30)));
        Assert.Equal(0u, memory.Read<uint>(si.Add(0x34)));
        Assert.Equal("console=hvc0\0"u8.ToArray(), memory.GetSpan(new GuestAddress(0x2_0000), 13).ToArray());
        Assert.Equal(13, info.CommandLineSize);
    }

    [Fact]
    public void Initrd_is_module_zero_at_the_top_of_ram()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        byte[] initrd = [.. Enumerable.Range(0, 6000).Select(i => (byte)(i * 3))];

        PvhBootInfo info = PvhLoader.Load(memory, new ElfBuilder().Build(), initrd, "", PvhBootLayout.Default);

        var expected = new GuestAddress(32 * MiB - 0x2000);
        Assert.Equal(expected, info.InitrdAddress);
        Assert.Equal(initrd, memory.GetSpan(expected, initrd.Length).ToArray());
        var module = new GuestAddress(0x6040);
        Assert.Equal(expected.Value, memory.Read<ulong>(module));
        Assert.Equal(6000ul, memory.Read<ulong>(module.Add(8)));
        Assert.Equal(0ul, memory.Read<ulong>(module.Add(16)));
        Assert.Equal(0ul, memory.Read<ulong>(module.Add(24)));
    }

    [Fact]
    public void Without_initrd_there_are_no_modules()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        PvhBootInfo info = PvhLoader.Load(memory, new ElfBuilder().Build(), [], "", PvhBootLayout.Default);

        Assert.Null(info.InitrdAddress);
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(0x600C)));
        Assert.Equal(0ul, memory.Read<ulong>(new GuestAddress(0x6010)));
    }

    [Fact]
    public void Memory_map_entries_are_24_bytes_each()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        E820Entry[] map = [new(0, 0x9_FC00, E820Type.Ram), new(0x9_FC00, 0x400, E820Type.Reserved), new(0x10_0000, 31 * MiB, E820Type.Ram)];

        PvhLoader.Load(memory, new ElfBuilder().Build(), [], "", PvhBootLayout.Default, map);

        Assert.Equal(3u, memory.Read<uint>(new GuestAddress(0x6030)));
        for (int i = 0; i < map.Length; i++)
        {
            var slot = new GuestAddress(0x7000 + ((ulong)i * 24));
            Assert.Equal(map[i].Address, memory.Read<ulong>(slot));
            Assert.Equal(map[i].Size, memory.Read<ulong>(slot.Add(8)));
            Assert.Equal((uint)map[i].Type, memory.Read<uint>(slot.Add(16)));
            Assert.Equal(0u, memory.Read<uint>(slot.Add(20)));
        }
    }

    [Fact]
    public void Elf_without_the_PVH_note_says_so()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);

        var ex = Assert.Throws<BootImageException>(() =>
            PvhLoader.Load(memory, new ElfBuilder { IncludePvhNote = false }.Build(), [], "", PvhBootLayout.Default));

        Assert.Equal(BootImageError.NoPvhEntryPoint, ex.Error);
        Assert.Contains("no Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0ul, memory.Read<ulong>(new GuestAddress(0x10_0000)));
    }

    [Fact]
    public void Segment_over_a_boot_structure_is_an_overlap()
    {
        using var memory = GuestMemory.CreateFlat(32 * MiB);
        var builder = new ElfBuilder();
        builder.Segments.Add((0x1_F000, 0x10, 0x2000));

        var ex = Assert.Throws<BootImageException>(() => PvhLoader.Load(memory, builder.Build(), [], "x", PvhBootLayout.Default));

        Assert.Equal(BootImageError.Overlap, ex.Error);
        Assert.Contains("PT_LOAD segment at 0x1f000 [0x1f000, 0x21000) overlaps the command line at 0x20000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Segment_outside_memory_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(MiB);

        var ex = Assert.Throws<BootImageException>(() => PvhLoader.Load(memory, new ElfBuilder().Build(), [], "", PvhBootLayout.Default));

        Assert.Equal(BootImageError.LoadAddressOutsideMemory, ex.Error);
    }

    [Fact]
    public void Initrd_that_does_not_fit_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(4 * MiB);

        var ex = Assert.Throws<BootImageException>(() =>
            PvhLoader.Load(memory, new ElfBuilder().Build(), new byte[3 * MiB], "", PvhBootLayout.Default));

        Assert.Equal(BootImageError.InitrdDoesNotFit, ex.Error);
        Assert.StartsWith("initrd: initrd of 3145728 bytes does not fit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_line_longer_than_the_layout_allows_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(4 * MiB);

        var ex = Assert.Throws<BootImageException>(() =>
            PvhLoader.Load(memory, new ElfBuilder().Build(), [], new string('a', 2048), PvhBootLayout.Default));

        Assert.Equal(BootImageError.CommandLineTooLong, ex.Error);
        Assert.Contains("2048 bytes", ex.Message, StringComparison.Ordinal);
    }
}
