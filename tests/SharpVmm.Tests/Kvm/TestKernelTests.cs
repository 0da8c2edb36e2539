using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// Boots guests/testkernel (a Multiboot v1 kernel built here with as/ld/gcc) with 2 vCPUs: it checks the Multiboot
/// handoff, fw_cfg, the ACPI tables' checksums, the PM timer and INIT/SIPI start-up of the AP, and ends the run
/// through isa-debug-exit or ACPI S5 as its command line says. With virtio-mmio devices it also drives them with its own
/// polling drivers: virtio-blk (a pattern written, flushed and read back; the image checked on the host), virtio-net (an
/// ARP exchange with the host end of a TAP in the test's own network namespace) and virtio-rng.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class TestKernelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public void The_test_kernel_passes_its_checks_and_exits_through_isa_debug_exit()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;

        var result = CliProcess.Run(Boot(kernel, "mem=128 cpus=2 exit=debug"), timeout: Timeout);

        AssertChecksPassed(result);
        Assert.Contains("boot loader: SharpVmm", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("cmdline: mem=128 cpus=2 exit=debug", result.Stdout, StringComparison.Ordinal);
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33 (isa-debug-exit 0x10)\n{Describe(result)}");
        Assert.Contains("guest requested exit status 33 (isa-debug-exit)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_kernel_booted_with_6_gib_finds_ram_above_4_gib_in_its_multiboot_memory_map_and_fw_cfg()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;

        var result = CliProcess.Run(Boot(kernel, "mem=6144 cpus=2 exit=debug", memory: "6G"), timeout: Timeout);

        AssertChecksPassed(result); // "fw_cfg ok": fw_cfg's RAM size is the mem= on the command line
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33 (isa-debug-exit 0x10)\n{Describe(result)}");
        AssertLine(result, "mmap 0x0:0x100000 len 0x0:0xbff00000 type 1");  // 1 MiB up to the hole at 3 GiB
        AssertLine(result, "mmap 0x1:0x0 len 0x0:0xc0000000 type 1");       // the other 3 GiB from 4 GiB
        Assert.Contains("mem_upper 3144704 KiB", result.Stdout, StringComparison.Ordinal); // from 1 MiB to the hole
    }

    [Fact]
    public void The_test_kernel_powers_off_through_acpi_s5()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;

        var result = CliProcess.Run(Boot(kernel, "mem=128 cpus=2 exit=acpi"), timeout: Timeout);

        AssertChecksPassed(result);
        GuestEnding.AssertCliRun(result, GuestEnding.AcpiPowerOff);
    }

    [Fact]
    public void The_test_kernel_writes_flushes_and_reads_back_sectors_through_virtio_blk()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = dir.File("disk.img");
        File.WriteAllBytes(image, new byte[1 << 20]);

        var result = CliProcess.Run([.. Boot(kernel, "mem=128 cpus=2 blk=rw exit=debug"), "--virtio", "mmio", "--disk", image], timeout: Timeout);

        AssertChecksPassed(result);
        AssertLine(result, "virtio-blk ok capacity=2048");
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33\n{Describe(result)}");
        byte[] bytes = File.ReadAllBytes(image);
        Assert.Equal(1 << 20, bytes.Length);
        Assert.Equal(SectorPattern(), bytes[..(PatternSectors * 512)]);
        Assert.True(bytes.AsSpan(PatternSectors * 512).IndexOfAnyExcept((byte)0) < 0, "the guest wrote past sector 7");
    }

    [Fact]
    public void The_test_kernel_cannot_write_a_read_only_virtio_blk_disk()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = dir.File("ro.img");
        byte[] original = new byte[1 << 20];
        new Random(7).NextBytes(original);
        File.WriteAllBytes(image, original);

        var result = CliProcess.Run([.. Boot(kernel, "mem=128 cpus=2 blk=ro exit=debug"), "--virtio", "mmio", "--disk", $"{image},readonly"],
            timeout: Timeout);

        AssertChecksPassed(result);
        AssertLine(result, "virtio-blk ro ok");
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33\n{Describe(result)}");
        Assert.Equal(original, File.ReadAllBytes(image));
    }

    [Fact]
    public void The_test_kernel_reads_entropy_from_virtio_rng()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;

        var result = CliProcess.Run([.. Boot(kernel, "mem=128 cpus=2 exit=debug"), "--virtio", "mmio", "--rng"], timeout: Timeout);

        AssertChecksPassed(result);
        AssertLine(result, "virtio-rng ok");
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33\n{Describe(result)}");
    }

    [Fact]
    public void The_test_kernel_gets_an_arp_reply_from_the_tap_through_virtio_net()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var ns = NetworkNamespace.Create();
        ns.AddTap("tap0", "10.0.2.2/24");
        string hostMac = ns.MacOf("tap0");
        const string GuestMac = "52:54:00:ab:cd:ef";

        var result = CliProcess.Run([.. Boot(kernel, "mem=128 cpus=2 exit=debug"), "--virtio", "mmio", "--net", $"tap=tap0,mac={GuestMac}"],
            timeout: Timeout, wrapper: ns.Exec);

        AssertChecksPassed(result);
        AssertLine(result, $"  virtio-net mac {GuestMac}");
        AssertLine(result, $"virtio-net ok reply from {hostMac}");
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33\n{Describe(result)}");
        // The host side received the guest's frame (its neighbour entry is gone by now: the TAP lost its carrier when the VMM exited).
        Assert.True(long.Parse(ns.Run("cat", "/sys/class/net/tap0/statistics/rx_packets").Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 1,
            "the host's end of the TAP received no frame from the guest");
    }

    internal const int PatternSectors = 8;

    /// <summary>What the test kernel writes to sectors 0-7 with blk=rw (guests/testkernel/virtio.c, make_pattern).</summary>
    internal static byte[] SectorPattern()
    {
        byte[] pattern = new byte[PatternSectors * 512];
        for (int s = 0; s < PatternSectors; s++)
        {
            Span<byte> sector = pattern.AsSpan(s * 512, 512);
            for (int i = 0; i < 512; i++)
            {
                sector[i] = (byte)((i * 7) + (s * 13));
            }

            "SHARPVMM"u8.CopyTo(sector);
            sector[8] = (byte)('0' + s);
        }

        return pattern;
    }

    private static void AssertLine(CliProcess.Result result, string line) =>
        Assert.True(result.Stdout.Split('\n').Any(l => l.TrimEnd('\r') == line), $"no line '{line}' in the serial output\n{Describe(result)}");

    private static string[] Boot(string kernel, string append, string memory = "128M") =>
        ["boot", "--kernel", kernel, "--cpus", "2", "--mem", memory, "--append", append, "--time-limit", "100"];

    private static void AssertChecksPassed(CliProcess.Result result)
    {
        Assert.False(result.Stdout.Contains("FAIL:", StringComparison.Ordinal), $"the test kernel reported a failure\n{Describe(result)}");
        string[] lines = result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        foreach (string ok in TestKernel.OkLines)
        {
            Assert.True(lines.Contains(ok), $"no line '{ok}' in the serial output\n{Describe(result)}");
        }
    }

    private static string Describe(CliProcess.Result r) => $"--- stdout ---\n{r.Stdout}\n--- stderr ---\n{r.Stderr}";
}
