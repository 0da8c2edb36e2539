using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Gdb;

/// <summary>The real gdb (13 on the development host) loads each target description without complaint.</summary>
[Tier(TestTiers.Unit)]
public class GdbTargetDescriptionTests
{
    public static TheoryData<string> Layouts => ["x86-64", "i386"];

    private static GdbRegisterLayout Layout(string name) => name == "x86-64" ? GdbRegisterLayout.X86_64 : GdbRegisterLayout.I386;

    private static void AssertNoComplaint(string output)
    {
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("rejected", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Gdb_accepts_the_description_and_numbers_sizes_and_places_every_register_as_the_layout_does(string name)
    {
        GdbRegisterLayout layout = Layout(name);
        using var dir = new TempDirectory();
        string xml = dir.File("target.xml");
        File.WriteAllText(xml, layout.TargetXml);

        string output = GdbTool.Run([$"set tdesc filename {xml}", "show architecture", "maint print remote-registers"]);

        AssertNoComplaint(output);
        Assert.Contains($"(currently \"{layout.Architecture}\")", output, StringComparison.Ordinal);
        Assert.Equal(
            layout.Registers.Select(r => new GdbTool.RemoteRegister(r.Name, r.ByteSize, r.Number, r.Offset)),
            GdbTool.ParseRemoteRegisters(output));
    }

    [Fact]
    public void Gdb_rejects_a_description_that_breaks_its_i386_checks()
    {
        // The check above is only worth something if gdb does complain about a wrong core feature.
        using var dir = new TempDirectory();
        string xml = dir.File("target.xml");
        File.WriteAllText(xml, GdbRegisterLayout.X86_64.TargetXml.Replace("name=\"rip\"", "name=\"pc\"", StringComparison.Ordinal));

        string output = GdbTool.Run([$"set tdesc filename {xml}", "show architecture"]);

        Assert.Contains("rejected", output, StringComparison.Ordinal);
        Assert.DoesNotContain("(currently \"i386:x86-64\")", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "i386")]
    [InlineData(true, "x86-64")]
    public void Gdb_debugs_an_elf_of_each_class_with_the_matching_layout(bool is64, string name)
    {
        GdbRegisterLayout layout = Layout(name);
        using var dir = new TempDirectory();
        string xml = dir.File("target.xml"), elf = dir.File("kernel.elf");
        File.WriteAllText(xml, layout.TargetXml);
        File.WriteAllBytes(elf, new ElfBuilder { Is64 = is64, Machine = is64 ? (ushort)62 : (ushort)3 }.Build());

        string output = GdbTool.Run([$"file {elf}", $"set tdesc filename {xml}", "show architecture"]);

        AssertNoComplaint(output);
        Assert.Contains($"(currently \"{layout.Architecture}\")", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Gdb_refuses_a_32_bit_elf_against_the_x86_64_description()
    {
        // Why the I386 layout exists: a Multiboot kernel is a 32-bit ELF.
        using var dir = new TempDirectory();
        string xml = dir.File("target.xml"), elf = dir.File("kernel.elf");
        File.WriteAllText(xml, GdbRegisterLayout.X86_64.TargetXml);
        File.WriteAllBytes(elf, new ElfBuilder { Is64 = false, Machine = 3 }.Build());

        string output = GdbTool.Run([$"file {elf}", $"set tdesc filename {xml}", "show architecture"]);

        Assert.Contains("not compatible", output, StringComparison.Ordinal);
    }
}
