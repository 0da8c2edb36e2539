using System.Xml.Linq;
using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;
using static SharpVmm.Tests.Unit.Gdb.X86RegisterFileSamples;

namespace SharpVmm.Tests.Unit.Gdb;

[Tier(TestTiers.Unit)]
public class GdbRegisterLayoutTests
{
    public static TheoryData<string> Layouts => ["x86-64", "i386"];

    private static GdbRegisterLayout Layout(string name) => name == "x86-64" ? GdbRegisterLayout.X86_64 : GdbRegisterLayout.I386;

    private static int Number(GdbRegisterLayout layout, string name) => layout.Find(name)!.Number;

    [Fact]
    public void The_x86_64_layout_numbers_its_registers_as_gdb_does()
    {
        GdbRegisterLayout layout = GdbRegisterLayout.X86_64;

        Assert.Equal("i386:x86-64", layout.Architecture);
        Assert.Equal(65, layout.Count);
        Assert.Equal(600, layout.SizeInBytes);
        Assert.Equal(
            ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"],
            layout.Registers.Take(18).Select(r => r.Name));
        Assert.Equal((16, 17, 24, 40, 56, 57, 59, 64), (Number(layout, "rip"), Number(layout, "eflags"), Number(layout, "st0"),
            Number(layout, "xmm0"), Number(layout, "mxcsr"), Number(layout, "fs_base"), Number(layout, "cr0"), Number(layout, "efer")));
        Assert.Equal(("rip", "rsp", "rbp"), (layout.ProgramCounter.Name, layout.StackPointer.Name, layout.FramePointer.Name));
    }

    [Fact]
    public void The_i386_layout_numbers_its_registers_as_gdb_does()
    {
        GdbRegisterLayout layout = GdbRegisterLayout.I386;

        Assert.Equal("i386", layout.Architecture);
        Assert.Equal(46, layout.Count);
        Assert.Equal(348, layout.SizeInBytes);
        Assert.Equal(["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags"], layout.Registers.Take(10).Select(r => r.Name));
        Assert.Equal((8, 9, 16, 32, 40, 41, 45), (Number(layout, "eip"), Number(layout, "eflags"), Number(layout, "st0"),
            Number(layout, "xmm0"), Number(layout, "mxcsr"), Number(layout, "cr0"), Number(layout, "efer")));
        Assert.Null(layout.Find("xmm8"));
        Assert.Null(layout.Find("cr8"));
        Assert.Null(layout.Find("fs_base"));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Registers_are_numbered_in_order_and_packed_back_to_back(string name)
    {
        GdbRegisterLayout layout = Layout(name);
        int offset = 0;

        for (int i = 0; i < layout.Count; i++)
        {
            Assert.Equal(i, layout.Registers[i].Number);
            Assert.Equal(offset, layout.Registers[i].Offset);
            offset += layout.Registers[i].ByteSize;
        }

        Assert.Equal(layout.SizeInBytes, offset);
        Assert.Equal(2 * layout.SizeInBytes, layout.ReadAll(Sample()).Length);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void WriteAll_of_what_ReadAll_gave_leaves_the_file_as_it_was(string name)
    {
        GdbRegisterLayout layout = Layout(name);
        X86RegisterFile file = Sample();
        X86RegisterFile copy = file;

        Assert.True(layout.WriteAll(layout.ReadAll(copy), ref copy));

        Assert.Equal(Bytes(file), Bytes(copy));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void WriteAll_into_an_empty_file_carries_every_register(string name)
    {
        GdbRegisterLayout layout = Layout(name);
        string hex = layout.ReadAll(Sample());
        var empty = new X86RegisterFile();

        Assert.True(layout.WriteAll(hex, ref empty));

        Assert.Equal(hex, layout.ReadAll(empty));
        for (int i = 0; i < layout.Count; i++)
        {
            Assert.Equal(layout.ReadOne(i, Sample()), layout.ReadOne(i, empty));
        }
    }

    [Fact]
    public void WriteAll_of_the_x86_64_layout_rebuilds_every_mapped_field()
    {
        X86RegisterFile sample = Sample();
        var file = new X86RegisterFile();

        Assert.True(GdbRegisterLayout.X86_64.WriteAll(GdbRegisterLayout.X86_64.ReadAll(sample), ref file));

        Assert.Equal(sample.Regs, file.Regs);
        Assert.Equal(Bytes(ref sample.Fpu).ToArray(), Bytes(ref file.Fpu).ToArray());
        Assert.Equal((sample.Sregs.Cr0, sample.Sregs.Cr2, sample.Sregs.Cr3, sample.Sregs.Cr4, sample.Sregs.Cr8, sample.Sregs.Efer),
            (file.Sregs.Cr0, file.Sregs.Cr2, file.Sregs.Cr3, file.Sregs.Cr4, file.Sregs.Cr8, file.Sregs.Efer));
        Assert.Equal((sample.Sregs.Fs.Base, sample.Sregs.Gs.Base, sample.Sregs.Cs.Selector, sample.Sregs.Gs.Selector),
            (file.Sregs.Fs.Base, file.Sregs.Gs.Base, file.Sregs.Cs.Selector, file.Sregs.Gs.Selector));
    }

    [Fact]
    public void A_P_of_rip_changes_the_instruction_pointer()
    {
        X86RegisterFile file = Sample();

        Assert.True(GdbRegisterLayout.X86_64.WriteOne(16, "efbeadde00000000", ref file));

        Assert.Equal(0xDEAD_BEEFul, file.Regs.Rip);
        Assert.Equal("efbeadde00000000", GdbRegisterLayout.X86_64.ReadOne(16, file));
    }

    [Fact]
    public void I386_registers_are_the_low_halves_and_writes_keep_the_upper_halves()
    {
        X86RegisterFile file = Sample();

        Assert.Equal("a1000000", GdbRegisterLayout.I386.ReadOne(0, file)); // eax
        Assert.Equal("c1000000", GdbRegisterLayout.I386.ReadOne(1, file)); // ecx is the second
        Assert.True(GdbRegisterLayout.I386.WriteOne(8, "00001000", ref file)); // eip

        Assert.Equal(0xFFFF_FFFF_0010_0000ul, file.Regs.Rip);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Eflags_is_32_bits(string name)
    {
        GdbRegisterLayout layout = Layout(name);
        int eflags = Number(layout, "eflags");
        X86RegisterFile file = Sample();

        Assert.Equal(32, layout.Registers[eflags].BitSize);
        Assert.Equal("46020000", layout.ReadOne(eflags, file));
        Assert.False(layout.WriteOne(eflags, "4602000000000000", ref file));
        Assert.True(layout.WriteOne(eflags, "02010000", ref file));
        Assert.Equal(0x102ul, file.Regs.Rflags);
    }

    [Fact]
    public void St_registers_are_the_first_ten_bytes_of_each_x87_slot()
    {
        X86RegisterFile file = Sample();
        int st0 = Number(GdbRegisterLayout.X86_64, "st0");

        Assert.Equal("0100000000000080ff3f", GdbRegisterLayout.X86_64.ReadOne(st0, file));
        Bytes(ref file.Fpu).Slice(FprOffset + 16 + 10, 6).Fill(0xEE);
        Assert.True(GdbRegisterLayout.X86_64.WriteOne(st0 + 1, "00000000000000c00040", ref file)); // st1 = 3.0

        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0xC0, 0x00, 0x40, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE],
            Bytes(ref file.Fpu).Slice(FprOffset + 16, 16).ToArray());
    }

    [Fact]
    public void Ftag_is_the_full_tag_word_made_from_the_abridged_one()
    {
        GdbRegisterLayout layout = GdbRegisterLayout.X86_64;
        int ftag = Number(layout, "ftag");
        X86RegisterFile file = Sample(); // TOP = 6, physical 6 and 7 (ST0, ST1) in use with normal values

        Assert.Equal("ff0f0000", layout.ReadOne(ftag, file));

        // ST0 (physical 6) zero, ST1 (physical 7) a NaN: tags 01 and 10
        Bytes(ref file.Fpu).Slice(FprOffset, 10).Clear();
        Bytes(ref file.Fpu).Slice(FprOffset + 16, 10).Fill(0xFF);
        Assert.Equal("ff9f0000", layout.ReadOne(ftag, file));
    }

    [Fact]
    public void Writing_ftag_keeps_only_which_registers_are_empty()
    {
        GdbRegisterLayout layout = GdbRegisterLayout.X86_64;
        int ftag = Number(layout, "ftag");
        X86RegisterFile file = Sample();

        Assert.True(layout.WriteOne(ftag, "f4ff0000", ref file)); // physical 0 valid, 1 zero, the rest empty
        Assert.Equal(0b0000_0011, file.Fpu.Ftwx);

        Assert.True(layout.WriteOne(ftag, "ffff0000", ref file));
        Assert.Equal(0, file.Fpu.Ftwx);
    }

    [Fact]
    public void X87_pointers_split_into_offset_and_segment_halves()
    {
        GdbRegisterLayout layout = GdbRegisterLayout.X86_64;
        X86RegisterFile file = Sample();

        Assert.Equal("88776655", layout.ReadOne(Number(layout, "fioff"), file));
        Assert.Equal("44332211", layout.ReadOne(Number(layout, "fiseg"), file));
        Assert.Equal("00ffeedd", layout.ReadOne(Number(layout, "fooff"), file));
        Assert.Equal("ccbbaa99", layout.ReadOne(Number(layout, "foseg"), file));
        Assert.Equal("db050000", layout.ReadOne(Number(layout, "fop"), file));
        Assert.True(layout.WriteOne(Number(layout, "fioff"), "78563412", ref file));

        Assert.Equal(0x1122_3344_1234_5678ul, file.Fpu.LastIp);
    }

    [Fact]
    public void Writing_a_segment_register_changes_the_selector_only()
    {
        X86RegisterFile file = Sample();
        file.Sregs.Cs.Base = 0x1000;
        file.Sregs.Cs.L = 1;

        Assert.True(GdbRegisterLayout.X86_64.WriteOne(Number(GdbRegisterLayout.X86_64, "cs"), "08000000", ref file));

        Assert.Equal((0x08, 0x1000ul, (byte)1), (file.Sregs.Cs.Selector, file.Sregs.Cs.Base, file.Sregs.Cs.L));
    }

    [Fact]
    public void Xmm_and_system_registers_map_to_the_fpu_and_sregs_fields()
    {
        GdbRegisterLayout layout = GdbRegisterLayout.X86_64;
        X86RegisterFile file = Sample();

        Assert.True(layout.WriteOne(Number(layout, "xmm3"), "000102030405060708090a0b0c0d0e0f", ref file));
        Assert.True(layout.WriteOne(Number(layout, "cr3"), "0010000000000000", ref file));
        Assert.True(layout.WriteOne(Number(layout, "gs_base"), "0000000080880000", ref file));

        Assert.Equal(Enumerable.Range(0, 16).Select(i => (byte)i), Bytes(ref file.Fpu).Slice(XmmOffset + 48, 16).ToArray());
        Assert.Equal(0x1000ul, file.Sregs.Cr3);
        Assert.Equal(0x8880_0000_0000ul, file.Sregs.Gs.Base);
        Assert.Equal("0100000000000000", layout.ReadOne(Number(layout, "cr8"), new X86RegisterFile { Sregs = { Cr8 = 1 } }));
        Assert.Equal("801f0000", layout.ReadOne(Number(layout, "mxcsr"), file));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Bad_hex_wrong_lengths_and_unknown_numbers_are_rejected_without_changes(string name)
    {
        GdbRegisterLayout layout = Layout(name);
        X86RegisterFile file = Sample();
        string all = layout.ReadAll(file);
        byte[] before = Bytes(file);

        Assert.False(layout.WriteAll(all.AsSpan(0, all.Length - 2), ref file));
        Assert.False(layout.WriteAll(all + "00", ref file));
        Assert.False(layout.WriteAll("zz" + all[2..], ref file));
        Assert.False(layout.WriteAll("", ref file));
        Assert.False(layout.WriteOne(0, "123", ref file));
        Assert.False(layout.WriteOne(0, "xx000000", ref file));
        Assert.False(layout.WriteOne(-1, "00000000", ref file));
        Assert.False(layout.WriteOne(layout.Count, "00000000", ref file));
        Assert.Null(layout.ReadOne(-1, file));
        Assert.Null(layout.ReadOne(layout.Count, file));

        Assert.Equal(before, Bytes(file));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_target_description_is_one_document_listing_every_register_in_order(string name)
    {
        GdbRegisterLayout layout = Layout(name);

        XDocument xml = XDocument.Parse(layout.TargetXml);

        Assert.Equal(layout.Architecture, xml.Root!.Element("architecture")!.Value);
        Assert.DoesNotContain("include", layout.TargetXml, StringComparison.Ordinal);
        var registers = xml.Descendants("reg").ToList();
        Assert.Equal(layout.Registers.Select(r => r.Name), registers.Select(r => r.Attribute("name")!.Value));
        Assert.Equal(layout.Registers.Select(r => r.Number.ToString()), registers.Select(r => r.Attribute("regnum")!.Value));
        Assert.Equal(layout.Registers.Select(r => r.BitSize.ToString()), registers.Select(r => r.Attribute("bitsize")!.Value));
        Assert.Equal(["org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse"], xml.Descendants("feature").Take(2).Select(f => f.Attribute("name")!.Value));
    }

    [Fact]
    public void The_fpu_arrays_are_where_the_layout_reads_them()
    {
        Assert.Equal((0, 152), (FprOffset, XmmOffset)); // struct kvm_fpu: fpr[8][16], then 24 bytes of control state
    }
}
