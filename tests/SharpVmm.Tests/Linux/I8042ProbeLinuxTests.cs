using System.Globalization;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The parameters a Linux kernel is given ahead of its own command line (<see cref="PcPlatform.LinuxI8042Parameters"/>,
/// and <see cref="PcPlatform.LinuxNoPciParameter"/> where there is no PCI bus): the kernel skips the probes they name and
/// still finds the keyboard, and a command line that turns a probe back on gets it. The bzImage boots without a root file system, so it panics after the drivers came up and
/// <c>panic=-1 reboot=k</c> ends the run through the i8042's reset line: kernel space only, on any host.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class I8042ProbeLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    [Fact]
    public void A_linux_kernel_skips_the_aux_mux_pnp_and_pci_probes_and_still_finds_the_keyboard()
    {
        KvmTestEnvironment.RequireKvm();

        CliProcess.Result run = Boot(GuestKernel.BaseCommandLine, "--log-level", "debug");

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset);
        string kernelLine = run.Stdout.Split('\n').FirstOrDefault(l => l.Contains("Kernel command line: ", StringComparison.Ordinal)) ?? "";
        Assert.EndsWith($"{PcPlatform.LinuxI8042Parameters} {PcPlatform.LinuxNoPciParameter} {GuestKernel.BaseCommandLine}", kernelLine.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("unclaimed port read at 0x2f9", run.Stderr, StringComparison.Ordinal); // the 8250 driver's COM2 probe: the log works
        // No probe of the configuration mechanisms, which starts with a byte to 0xcfb (the early quirks, which read bus 0
        // through 0xcf8 before the kernel parses pci=, still run).
        Assert.DoesNotContain("unclaimed port write at 0xcfb", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("i8042: PNP detection disabled", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("serio: i8042 KBD port at 0x60,0x64 irq 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("input: AT Translated Set 2 keyboard", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("serio: i8042 AUX port", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_line_that_turns_the_aux_and_pci_probes_back_on_gets_them()
    {
        KvmTestEnvironment.RequireKvm();

        CliProcess.Result run = Boot($"{GuestKernel.BaseCommandLine} i8042.noaux=0 pci=conf1", "--log-level", "debug");

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset);
        Assert.Contains("serio: i8042 AUX port at 0x60,0x64 irq 12", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("unclaimed port write at 0xcfb", run.Stderr, StringComparison.Ordinal); // the kernel probed for PCI again
        Assert.Contains("input: AT Translated Set 2 keyboard", run.Stdout, StringComparison.Ordinal);
    }

    private static CliProcess.Result Boot(string commandLine, params string[] options) => CliProcess.Run(
        ["boot", "--kernel", GuestKernel.BzImage, "--mem", "128M", "--append", commandLine,
            "--time-limit", ((int)Limit.TotalSeconds).ToString(CultureInfo.InvariantCulture), .. options],
        timeout: Limit + TimeSpan.FromMinutes(1));
}
