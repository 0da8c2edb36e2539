using System.Buffers.Binary;
using SharpVmm.Boot;
using SharpVmm.Boot.Elf;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class ElfImageTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Header_segments_and_notes_are_parsed(bool is64)
    {
        byte[] file = new ElfBuilder { Is64 = is64, Machine = is64 ? (ushort)62 : (ushort)3 }.Build();

        ElfImage image = ElfImage.Parse("vmlinux", file);

        Assert.Equal(is64 ? ElfClass.Elf64 : ElfClass.Elf32, image.Class);
        Assert.Equal(is64 ? ElfImage.MachineX86_64 : ElfImage.MachineI386, image.Machine);
        ElfProgramHeader load = Assert.Single(image.LoadSegments);
        Assert.Equal(0x10_0000ul, load.PhysicalAddress);
        Assert.Equal((ulong)ElfBuilder.DataOffset, load.Offset);
        Assert.Equal(0x200ul, load.FileSize);
        Assert.Equal(0x1000ul, load.MemorySize);
        Assert.Equal(0x10_1000ul, image.PhysicalEnd);
        Assert.Equal(["GNU", "Xen"], image.Notes.Select(n => n.Name));
        Assert.Equal(18u, image.Notes[1].Type);
    }

    [Fact]
    public void Notes_come_from_SHT_NOTE_sections_when_there_is_no_PT_NOTE()
    {
        ElfImage image = ElfImage.Parse("vmlinux", new ElfBuilder { NotesInSectionOnly = true }.Build());

        Assert.DoesNotContain(image.ProgramHeaders, p => p.Type == ElfSegmentType.Note);
        Assert.Contains(image.Notes, n => n.Name == "Xen" && n.Type == 18);
    }

    [Fact]
    public void Segments_are_copied_and_bss_is_zeroed()
    {
        using var memory = GuestMemory.CreateFlat(4 << 20);
        memory.GetSpan(new GuestAddress(0x10_0000), 0x1000).Fill(0xCC);
        byte[] file = new ElfBuilder().Build();
        ElfImage image = ElfImage.Parse("vmlinux", file);

        image.LoadSegmentsInto(memory, file);

        Assert.Equal(file[ElfBuilder.DataOffset..(ElfBuilder.DataOffset + 0x200)], memory.GetSpan(new GuestAddress(0x10_0000), 0x200).ToArray());
        Assert.All(memory.GetSpan(new GuestAddress(0x10_0200), 0xE00).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Segment_outside_memory_is_rejected_before_anything_is_written()
    {
        using var memory = GuestMemory.CreateFlat(2 << 20);
        var builder = new ElfBuilder();
        builder.Segments.Add((0x1F_F000, 0x10, 0x2000));
        byte[] file = builder.Build();
        ElfImage image = ElfImage.Parse("vmlinux", file);

        var ex = Assert.Throws<BootImageException>(() => image.LoadSegmentsInto(memory, file));

        Assert.Equal(BootImageError.LoadAddressOutsideMemory, ex.Error);
        Assert.Contains("PT_LOAD segment at physical 0x1ff000 of 8192 bytes is outside guest memory", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0ul, memory.Read<ulong>(new GuestAddress(0x10_0000)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(40)]
    public void Truncated_header_is_rejected(int length)
    {
        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", new ElfBuilder().Build()[..length]));

        Assert.Equal(BootImageError.Truncated, ex.Error);
    }

    [Fact]
    public void Bad_magic_is_rejected()
    {
        byte[] file = new ElfBuilder().Build();
        file[1] = (byte)'X';

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", file));

        Assert.Equal(BootImageError.BadMagic, ex.Error);
        Assert.Equal("v: no ELF magic (7f 45 4c 46) at offset 0: not an ELF file", ex.Message);
    }

    [Fact]
    public void Big_endian_is_rejected()
    {
        byte[] file = new ElfBuilder().Build();
        file[5] = 2;

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", file));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Contains("not little-endian", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_class_is_rejected()
    {
        byte[] file = new ElfBuilder().Build();
        file[4] = 3;

        Assert.Equal(BootImageError.Malformed, Assert.Throws<BootImageException>(() => ElfImage.Parse("v", file)).Error);
    }

    [Fact]
    public void Wrong_machine_is_rejected()
    {
        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", new ElfBuilder { Machine = 183 }.Build()));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Equal("v: ELF machine 183 is not x86 (3) or x86-64 (62)", ex.Message);
    }

    [Fact]
    public void Program_headers_beyond_the_file_are_rejected()
    {
        byte[] file = new ElfBuilder().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(32), (ulong)file.Length - 8);

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", file));

        Assert.Equal(BootImageError.Truncated, ex.Error);
        Assert.Contains("program headers at file offset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Segment_beyond_the_file_is_rejected()
    {
        byte[] file = new ElfBuilder().Build()[..(ElfBuilder.DataOffset + 0x100)];

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", file));

        Assert.Equal(BootImageError.Truncated, ex.Error);
        Assert.Contains("segment 0 (Load) at file offset 0x1000 of 512 bytes runs past the end", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Filesz_larger_than_memsz_is_rejected()
    {
        var builder = new ElfBuilder();
        builder.Segments[0] = (0x10_0000, 0x200, 0x100);

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", builder.Build()));

        Assert.Equal(BootImageError.Malformed, ex.Error);
        Assert.Contains("p_filesz 512 larger than p_memsz 256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_segments_are_rejected()
    {
        var builder = new ElfBuilder();
        builder.Segments.Add((0x10_0800, 0x10, 0x10));

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", builder.Build()));

        Assert.Equal(BootImageError.Malformed, ex.Error);
        Assert.Contains("PT_LOAD segments 0 and 1 overlap", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_without_PT_LOAD_is_rejected()
    {
        var builder = new ElfBuilder();
        builder.Segments.Clear();

        var ex = Assert.Throws<BootImageException>(() => ElfImage.Parse("v", builder.Build()));

        Assert.Contains("no PT_LOAD segment", ex.Message, StringComparison.Ordinal);
    }
}
