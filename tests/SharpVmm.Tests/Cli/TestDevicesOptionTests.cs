using SharpVmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Cli;

/// <summary><c>--test-devices</c>: QEMU's pc-testdev for test guests, off unless asked for.</summary>
[Tier(TestTiers.KvmFast)]
public class TestDevicesOptionTests
{
    // Writes 0x11223344 to port 0xe0, 0x55 to byte 1 through the byte window (0xe9), reads byte 1 back through the
    // 32-bit window (0xe1) and hands it to isa-debug-exit.
    private static readonly byte[] ReadBackGuest = GuestCode.Assemble(16, 0x1000, a =>
    {
        a.mov(eax, 0x11223344);
        a.@out(0xE0, eax);
        a.mov(al, 0x55);
        a.@out(0xE9, al);
        a.@in(al, 0xE1);
        a.@out(0xF4, al);
        a.hlt();
    });

    [Fact]
    public void Run_with_test_devices_lets_a_guest_read_back_what_it_wrote_to_the_data_port()
    {
        CliProcess.Result result = RunGuest("--test-devices");

        Assert.Equal(((0x55 << 1) | 1) & 0xFF, result.ExitCode);
        Assert.Contains($"guest requested exit status {(0x55 << 1) | 1} (isa-debug-exit)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_test_devices_the_data_port_is_unclaimed_and_reads_all_ones()
    {
        CliProcess.Result result = RunGuest();

        Assert.Equal(((0xFF << 1) | 1) & 0xFF, result.ExitCode);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("boot")]
    public void The_help_of_run_and_boot_describes_test_devices(string command)
    {
        CliProcess.Result result = CliProcess.Run([command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--test-devices", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("pc-testdev", result.Stdout, StringComparison.Ordinal);
    }

    private static CliProcess.Result RunGuest(params string[] options)
    {
        KvmTestEnvironment.RequireKvm();
        string image = Path.Combine(Path.GetTempPath(), $"sharpvmm-testdev-{Environment.ProcessId}-{options.Length}.bin");
        File.WriteAllBytes(image, ReadBackGuest);
        try
        {
            return CliProcess.Run(["run", image, "--load-address", "0x1000", "--entry", "0x0:0x1000", "--time-limit", "30", .. options]);
        }
        finally
        {
            File.Delete(image);
        }
    }
}
