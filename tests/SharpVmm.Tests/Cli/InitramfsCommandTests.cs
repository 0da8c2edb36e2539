using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary><c>sharpvmm initramfs</c>: the busybox archive, with a user's own programs added by <c>--add SRC=DEST</c>.</summary>
[Tier(TestTiers.Unit)]
public class InitramfsCommandTests
{
    [Fact]
    public void A_file_added_with_add_lands_at_its_guest_path_as_an_executable()
    {
        using var dir = new TempDirectory();
        string tool = dir.File("tool"), archive = dir.File("initrd.cpio");
        File.WriteAllText(tool, "#!/bin/sh\necho tool\n");

        CliProcess.Result run = CliProcess.Run(["initramfs", archive, "--add", $"{tool}=/bin/tool", "--add", $"{tool}=/second"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string[] lines = SystemCpio.ListVerbose(archive);
        Assert.Contains(lines, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" bin/tool", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" second", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("no-equals-sign")]
    [InlineData("tool=relative/path")]
    [InlineData("tool=")]
    public void An_add_without_a_source_and_an_absolute_guest_path_is_a_usage_error(string addition)
    {
        using var dir = new TempDirectory();

        CliProcess.Result run = CliProcess.Run(["initramfs", dir.File("initrd.cpio"), "--add", addition]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("expected SRC=DEST", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("initrd.cpio")));
    }

    [Fact]
    public void An_add_of_a_missing_file_names_it()
    {
        using var dir = new TempDirectory();

        CliProcess.Result run = CliProcess.Run(["initramfs", dir.File("initrd.cpio"), "--add", "/no/such/tool=/bin/tool"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("/no/such/tool", run.Stderr, StringComparison.Ordinal);
    }
}
