using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;
using static SharpVmm.Tests.Unit.Gdb.X86RegisterFileSamples;

namespace SharpVmm.Tests.Unit.Gdb;

/// <summary>
/// The real gdb connects over TCP to a minimal stub built on the protocol layer (<see cref="GdbWireStub"/>), reads the
/// target description and registers, and writes registers back: packets, framing and register data as gdb sees them.
/// </summary>
[Tier(TestTiers.Unit)]
public class GdbWireTests
{
    private static X86RegisterFile StoppedVcpu()
    {
        X86RegisterFile file = Sample();
        One.CopyTo(Bytes(ref file.Fpu)[FprOffset..]); // st0 = 1.0 exactly
        return file;
    }

    private static string Kernel(TempDirectory dir, bool is64)
    {
        string path = dir.File("kernel.elf");
        File.WriteAllBytes(path, new ElfBuilder { Is64 = is64, Machine = is64 ? (ushort)62 : (ushort)3 }.Build());
        return path;
    }

    /// <summary>What each <c>print</c> showed (<c>$1 = VALUE</c>), in order.</summary>
    private static List<string> PrintedValues(string output) =>
        [.. Regex.Matches(output, @"^\$\d+ = (.*)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];

    private static void AssertNoWarning(string output)
    {
        Assert.False(output.Contains("warning", StringComparison.OrdinalIgnoreCase), output);
    }

    [Fact]
    public void Gdb_reads_and_writes_x86_64_registers_through_the_packets()
    {
        using var stub = new GdbWireStub(GdbRegisterLayout.X86_64, StoppedVcpu());
        using var dir = new TempDirectory();

        string output = GdbTool.Run(
        [
            $"file {Kernel(dir, is64: true)}", $"target remote 127.0.0.1:{stub.Port}", "show architecture",
            "p/x $rip", "p/x $rsp", "p/x $r15", "info registers eflags", "p/x $cs", "p/x $gs_base", "p $st0", "p/x $ftag",
            "p/x $xmm1.v4_int32", "p/x $mxcsr", "info registers mxcsr", "p/x $cr3", "info registers cr0", "p/x $efer",
            "set $rax = 0x123456789abcdef0", "set $xmm2.v4_int32[1] = 7", "set $cr8 = 2", "detach",
        ], TimeSpan.FromSeconds(60));
        X86RegisterFile file = stub.Finish();

        AssertNoWarning(output);
        Assert.Contains("(currently \"i386:x86-64\")", output, StringComparison.Ordinal);
        Assert.Equal(
            ["0xffffffff81001234", "0x7777777700000f00", "0x1515", "0x10", "0xffff888000002000", "1", "0xfff",
                "{0x14131211, 0x18171615, 0x1c1b1a19, 0x201f1e1d}", "0x1f80", "0x123456000", "0xd01"],
            PrintedValues(output));
        Assert.Matches(@"eflags\s+0x246\s+\[ PF ZF IF IOPL=0 \]", output);
        Assert.Matches(@"mxcsr\s+0x1f80\s+\[ IM DM ZM OM UM PM RC=0 \]", output);
        Assert.Matches(@"cr0\s+0x80050033\s+\[ PE MP ET NE WP AM PG \]", output);
        Assert.Equal(0x1234_5678_9ABC_DEF0ul, file.Regs.Rax);
        Assert.Equal(7, MemoryMarshal.Read<int>(Bytes(ref file.Fpu)[(XmmOffset + 32 + 4)..]));
        Assert.Equal(2ul, file.Sregs.Cr8);
        Assert.Equal(0, stub.BadPackets);
        Assert.Contains(stub.Received, p => p.StartsWith('P'));
        Assert.Contains(stub.Received, p => p.StartsWith("qXfer:features:read:target.xml:", StringComparison.Ordinal));
    }

    [Fact]
    public void Gdb_reads_and_writes_i386_registers_through_the_packets()
    {
        using var stub = new GdbWireStub(GdbRegisterLayout.I386, StoppedVcpu());
        using var dir = new TempDirectory();

        string output = GdbTool.Run(
        [
            $"file {Kernel(dir, is64: false)}", $"target remote 127.0.0.1:{stub.Port}", "show architecture",
            "p/x $eip", "p/x $ecx", "p/x $esp", "p/x $ss", "p $st0", "p/x $xmm7.v4_int32", "p/x $cr3", "p/x $efer",
            "set $eax = 0x55", "set $eip = 0x100000", "detach",
        ], TimeSpan.FromSeconds(60));
        X86RegisterFile file = stub.Finish();

        AssertNoWarning(output);
        Assert.Contains("(currently \"i386\")", output, StringComparison.Ordinal);
        Assert.Equal(
            ["0x81001234", "0xc1", "0xf00", "0x18", "1", "{0x74737271, 0x78777675, 0x7c7b7a79, 0x807f7e7d}", "0x123456000", "0xd01"],
            PrintedValues(output));
        Assert.Equal(0x1111_1111_0000_0055ul, file.Regs.Rax);
        Assert.Equal(0xFFFF_FFFF_0010_0000ul, file.Regs.Rip);
        Assert.Equal(0, stub.BadPackets);
    }
}
