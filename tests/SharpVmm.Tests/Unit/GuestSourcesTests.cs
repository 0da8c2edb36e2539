using System.Diagnostics;
using SharpVmm.Cli;
using SharpVmm.Configuration;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>The checked-in guest binaries are exactly what guests/*.S assemble to, and what the CLI embeds.</summary>
[Tier(TestTiers.Unit)]
public class GuestSourcesTests
{
    [Fact]
    public void Guest_sources_assemble_to_the_checked_in_binaries()
    {
        string outDir = Directory.CreateTempSubdirectory("sharpvmm-guests-").FullName;
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "guests", "build.sh"), outDir]) { RedirectStandardError = true };
        using (var process = Process.Start(psi)!)
        {
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"guests/build.sh failed (binutils 'as' and 'ld' are needed):\n{stderr}");
        }

        foreach (string name in new[] { "demo-add.bin", "kvmsample.bin" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "guests", "bin", name)), File.ReadAllBytes(Path.Combine(outDir, name)));
        }

        Directory.Delete(outDir, recursive: true);
    }

    [Fact]
    public void The_built_in_demos_are_the_classic_programs()
    {
        // mov $0x3f8,%dx; add %bl,%al; add $'0',%al; out %al,(%dx); mov $'\n',%al; out %al,(%dx); hlt
        Assert.Equal([0xBA, 0xF8, 0x03, 0x00, 0xD8, 0x04, (byte)'0', 0xEE, 0xB0, (byte)'\n', 0xEE, 0xF4], BuiltInGuests.DemoAdd);
        // xor %ax,%ax; 1: out %ax,$0x10; inc %ax; jmp 1b
        Assert.Equal([0x31, 0xC0, 0xE7, 0x10, 0x40, 0xEB, 0xFB], BuiltInGuests.KvmSample);
    }
}
