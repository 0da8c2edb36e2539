using SharpVmm.Cli;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>Bad input to <c>sharpvmm boot</c>: every case is reported before KVM is opened, so none needs /dev/kvm.</summary>
[Tier(TestTiers.KvmFast)]
public class BootCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpvmm-boot-").FullName;

    private static string FirstErrorLine(CliProcess.Result r) =>
        r.Stderr.Split('\n').First(l => l.StartsWith("sharpvmm: error: ", StringComparison.Ordinal));

    [Fact]
    public void A_missing_kernel_is_reported_by_path()
    {
        var result = CliProcess.Run(["boot", "--kernel", "/no/such/bzImage"]);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.Equal("sharpvmm: error: /no/such/bzImage: kernel file not found", FirstErrorLine(result));
    }

    [Fact]
    public void A_missing_initrd_is_reported_by_path()
    {
        string kernel = Write("bzImage", new BzImageBuilder().Build());

        var result = CliProcess.Run(["boot", "--kernel", kernel, "--initrd", "/no/such/initrd"]);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.Equal("sharpvmm: error: /no/such/initrd: initrd file not found", FirstErrorLine(result));
    }

    [Fact]
    public void A_file_that_is_no_kernel_is_refused_with_what_was_checked()
    {
        string kernel = Write("notes.txt", "this is not a kernel\n"u8.ToArray());

        var result = CliProcess.Run(["boot", "--kernel", kernel]);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.StartsWith($"sharpvmm: error: {kernel}: not a kernel image SharpVmm can boot (checked: Linux bzImage", FirstErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_bzimage_is_refused()
    {
        byte[] whole = new BzImageBuilder().Build();
        string kernel = Write("bzImage", whole.AsSpan(0, 0x400).ToArray());

        var result = CliProcess.Run(["boot", "--kernel", kernel]);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.StartsWith($"sharpvmm: error: {kernel}: ", FirstErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public void An_elf_without_a_pvh_note_is_refused()
    {
        string kernel = Write("vmlinux", new ElfBuilder { IncludePvhNote = false }.Build());

        var result = CliProcess.Run(["boot", "--kernel", kernel]);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.Contains("XEN_ELFNOTE_PHYS32_ENTRY", FirstErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_disk_image_is_reported_by_path_before_kvm_is_opened()
    {
        string kernel = Write("bzImage", new BzImageBuilder().Build());

        var result = CliProcess.Run(["boot", "--kernel", kernel, "--disk", "/no/such/disk.img"],
            new Dictionary<string, string> { ["SHARPVMM_KVM_DEVICE"] = "/no/such/kvm" });

        Assert.Equal(ExitCodes.DeviceBackend, result.ExitCode);
        Assert.StartsWith("sharpvmm: error: --disk: disk image '/no/such/disk.img': ", FirstErrorLine(result), StringComparison.Ordinal);
    }

    // An unknown option also exits 2, so the exit code alone would pass with the option deleted: the message must be
    // the option's own, naming it and the part of the value that is wrong.
    [Theory]
    [InlineData("--disk", "x.img,bogus", "sharpvmm: error: --disk x.img: unknown setting 'bogus' (known: readonly, serial=ID, root)")]
    [InlineData("--net", "mac=02:00:00:00:00:01", "sharpvmm: error: --net: 'mac=02:00:00:00:00:01' names no TAP interface (expected tap=NAME[,mac=...])")]
    [InlineData("--virtio", "isa", "sharpvmm: error: --virtio: Argument 'isa' not recognized. Must be one of: 'pci' 'mmio'")]
    [InlineData("--console", "serial", "sharpvmm: error: --console must be stdio, file:PATH or virtio, not 'serial'")]
    public void Bad_device_options_are_usage_errors_that_name_the_option_and_the_bad_value(string option, string value, string message)
    {
        string kernel = Write("bzImage", new BzImageBuilder().Build());

        var result = CliProcess.Run(["boot", "--kernel", kernel, option, value]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(message, result.Stderr.Split('\n')[0].TrimEnd('\r'));
        Assert.DoesNotContain("Unrecognized command or argument", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_is_a_usage_error_that_names_it()
    {
        string kernel = Write("bzImage", new BzImageBuilder().Build());

        var result = CliProcess.Run(["boot", "--kernel", kernel, "--virtual", "pci"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("sharpvmm: error: Unrecognized command or argument '--virtual'.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Boot_without_a_kernel_is_a_usage_error()
    {
        var result = CliProcess.Run(["boot"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--kernel", result.Stderr, StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
