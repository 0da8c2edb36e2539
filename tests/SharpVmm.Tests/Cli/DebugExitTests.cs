using SharpVmm.Cli;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>QEMU's isa-debug-exit at port 0xf4: a guest write of V ends the VMM with exit status (V &lt;&lt; 1) | 1.</summary>
[Tier(TestTiers.KvmFast)]
public class DebugExitTests
{
    [Fact]
    public void A_write_to_port_0xf4_becomes_the_process_exit_status()
    {
        KvmTestEnvironment.RequireKvm();
        string image = Path.Combine(Path.GetTempPath(), $"sharpvmm-debugexit-{Environment.ProcessId}.bin");
        File.WriteAllBytes(image, [0xB0, 0x10, 0xE6, 0xF4, 0xF4]); // mov al,0x10; out 0xf4,al; hlt
        try
        {
            var result = CliProcess.Run(["run", image, "--load-address", "0x1000", "--entry", "0x0:0x1000", "--time-limit", "30"]);

            Assert.Equal((0x10 << 1) | 1, result.ExitCode);
            Assert.Contains("guest requested exit status 33 (isa-debug-exit)", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0x10, 33)]
    [InlineData(0x80, 1)] // (0x80 << 1) | 1 = 0x101: a process keeps the low 8 bits
    public void The_exit_code_is_the_guest_status_cut_to_8_bits(int guestStatus, int exitCode)
    {
        var result = new VmRunResult(VmStopReason.GuestDebugExit, null, "", null, 0, GuestExitStatus: (guestStatus << 1) | 1);

        Assert.Equal(exitCode, ExitCodes.For(result));
    }

    [Fact]
    public void Other_stops_keep_their_own_exit_codes()
    {
        Assert.Equal(ExitCodes.GuestTripleFault, ExitCodes.For(new VmRunResult(VmStopReason.TripleFault, 0, "", null, 0)));
        Assert.Equal(ExitCodes.Success, ExitCodes.For(new VmRunResult(VmStopReason.GuestReset, null, "", null, 0)));
    }
}
