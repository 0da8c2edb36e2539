using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>The UART's receive path without a guest OS: stdin reaches a raw guest that polls the line-status register.</summary>
[Tier(TestTiers.KvmFast)]
public class SerialInputTests
{
    // Real mode at 0x1000: wait for LSR.DR (port 0x3fd bit 0), read RBR (0x3f8), write it back to THR, until '\n'; then HLT.
    private static readonly byte[] EchoGuest =
    [
        0xBA, 0xFD, 0x03, // 0:  mov dx, 0x3fd
        0xEC,             // 3:  in al, dx
        0xA8, 0x01,       // 4:  test al, 1
        0x74, 0xF8,       // 6:  jz 0
        0xBA, 0xF8, 0x03, // 8:  mov dx, 0x3f8
        0xEC,             // 11: in al, dx
        0xEE,             // 12: out dx, al
        0x3C, 0x0A,       // 13: cmp al, '\n'
        0x75, 0xEF,       // 15: jne 0
        0xF4,             // 17: hlt
    ];

    [Fact]
    public void Bytes_on_stdin_reach_the_guest_through_the_uart_and_its_echo_comes_back_on_stdout()
    {
        KvmTestEnvironment.RequireKvm();
        string image = Path.Combine(Path.GetTempPath(), $"sharpvmm-echo-{Environment.ProcessId}.bin");
        File.WriteAllBytes(image, EchoGuest);
        try
        {
            var result = CliProcess.Run(["run", image, "--load-address", "0x1000", "--entry", "0x0:0x1000", "--time-limit", "60"],
                stdin: "hello, guest\n", timeout: TimeSpan.FromSeconds(90));

            Assert.Equal(0, result.ExitCode);
            Assert.Equal("hello, guest\nKVM_EXIT_HLT\n", result.Stdout);
        }
        finally
        {
            File.Delete(image);
        }
    }
}
