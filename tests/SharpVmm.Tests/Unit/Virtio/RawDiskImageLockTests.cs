using System.Diagnostics;
using System.Runtime.CompilerServices;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>
/// <see cref="RawDiskImage"/>'s locks, QEMU's own scheme of a shared open-file-description lock per permission byte.
/// Open-file-description locks conflict between two opens in one process too, so two images here stand for two VMMs;
/// QEMU's tools and a QEMU VM see the locks and are seen.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class RawDiskImageLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _path;

    public RawDiskImageLockTests()
    {
        _path = _dir.File("disk.img");
        File.WriteAllBytes(_path, new byte[64 * 1024]);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Flock_has_the_size_of_the_C_struct() => Assert.Equal(Flock.Size, Unsafe.SizeOf<Flock>());

    [Fact]
    public void A_second_writer_is_refused_with_an_error_naming_the_file_and_the_other_process()
    {
        using var first = new RawDiskImage(_path);

        var e = Assert.Throws<DiskImageException>(() => new RawDiskImage(_path));

        Assert.Equal(_path, e.Path);
        Assert.Contains(_path, e.Message, StringComparison.Ordinal);
        Assert.Contains("another process has it open for writing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_readers_share_an_image()
    {
        using var first = new RawDiskImage(_path, readOnly: true);
        using var second = new RawDiskImage(_path, readOnly: true);

        Assert.True(first.ReadOnly && second.ReadOnly);
    }

    [Fact]
    public void A_reader_and_a_writer_conflict_whichever_comes_first()
    {
        using (var reader = new RawDiskImage(_path, readOnly: true))
        {
            var e = Assert.Throws<DiskImageException>(() => new RawDiskImage(_path));
            Assert.Contains("another process has it open and does not share it with a writer", e.Message, StringComparison.Ordinal);
        }

        using var writer = new RawDiskImage(_path);
        var refused = Assert.Throws<DiskImageException>(() => new RawDiskImage(_path, readOnly: true));
        Assert.Contains("has it open for writing (another SharpVmm, or QEMU), so it cannot be opened read-only beside it", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lock_goes_with_the_image_when_it_is_disposed()
    {
        new RawDiskImage(_path).Dispose();

        using var again = new RawDiskImage(_path);
        Assert.False(again.ReadOnly);
    }

    [Fact]
    public void Reopen_hands_the_lock_over_to_a_new_descriptor_that_sees_the_new_size()
    {
        using var first = new RawDiskImage(_path);
        File.AppendAllText(_path, new string('x', 512));

        using var reopened = first.Reopen();
        first.Dispose();

        Assert.Equal(first.Length + 512, reopened.Length);
        Assert.Throws<DiskImageException>(() => new RawDiskImage(_path, readOnly: true));
    }

    [Fact]
    public void Qemu_may_not_write_an_image_sharpvmm_writes_and_reads_it_only_as_it_would_beside_its_own_vm()
    {
        RequireOnPath("qemu-io");
        using var image = new RawDiskImage(_path);

        (int writeExit, string writeOutput) = RunTool("qemu-io", ["-f", "raw", "-c", "write -P 0x11 0 512", _path]);
        // qemu-io -r shares write permission with others, so QEMU lets it read beside its own VMs' writable disks too.
        (int readExit, string readOutput) = RunTool("qemu-io", ["-r", "-f", "raw", "-c", "read 0 512", _path]);

        Assert.True(writeExit != 0, $"qemu-io wrote an image SharpVmm holds for writing:\n{writeOutput}");
        Assert.Contains("Failed to get \"write\" lock", writeOutput, StringComparison.Ordinal);
        Assert.True(readExit == 0, $"qemu-io -r could not read beside a SharpVmm writer:\n{readOutput}");
    }

    [Fact]
    public void Qemu_reads_an_image_sharpvmm_only_reads_and_may_not_write_it()
    {
        RequireOnPath("qemu-io");
        File.WriteAllBytes(_path, [.. Enumerable.Repeat((byte)0x5A, 512), .. new byte[(1 << 20) - 512]]);
        using var image = new RawDiskImage(_path, readOnly: true);

        (int readExit, string readOutput) = RunTool("qemu-io", ["-r", "-f", "raw", "-c", "read -P 0x5a 0 512", _path]);
        (int writeExit, string writeOutput) = RunTool("qemu-io", ["-f", "raw", "-c", "write -P 0x11 0 512", _path]);

        Assert.True(readExit == 0 && !readOutput.Contains("Pattern verification failed", StringComparison.Ordinal), $"qemu-io -r could not read an image a SharpVmm reader holds:\n{readOutput}");
        Assert.True(writeExit != 0, $"qemu-io wrote an image a SharpVmm reader holds:\n{writeOutput}");
        Assert.Contains("Failed to get \"write\" lock", writeOutput, StringComparison.Ordinal);
        Assert.Equal(0x5A, File.ReadAllBytes(_path)[0]);
    }

    [Theory]
    [InlineData(false, "another process has it open for writing")]
    [InlineData(true, "another process has it open for writing")]
    public void An_image_qemu_has_open_for_writing_is_refused_to_a_sharpvmm_writer_or_reader(bool readOnly, string said)
    {
        RequireOnPath("qemu-io");
        using var qemu = new BackgroundProcess("qemu-io", ["-f", "raw", "-c", "sleep 120000", _path]);
        // qemu-io takes its locks as it opens the image: wait until the image is refused, or qemu-io is gone.
        var clock = Stopwatch.StartNew();
        DiskImageException? refused = null;
        while (refused is null && clock.Elapsed < TimeSpan.FromSeconds(60) && !qemu.HasExited)
        {
            try
            {
                new RawDiskImage(_path, readOnly).Dispose(); // held for microseconds: qemu-io opening meanwhile is unlikely
                Thread.Sleep(50);
            }
            catch (DiskImageException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains(said, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "does not share it with a writer")]
    [InlineData(false, "has it open for writing")]
    public void A_qemu_vms_disk_is_refused_to_a_sharpvmm_writer_and_shared_with_a_sharpvmm_reader_only_when_read_only(bool qemuReadOnly, string said)
    {
        RequireOnPath("qemu-system-x86_64");
        // A real QEMU block device, as a VM has it (stopped before its first instruction: -S): its default permissions.
        using var qemu = new BackgroundProcess("qemu-system-x86_64", ["-S", "-nodefaults", "-display", "none", "-machine", "pc,accel=tcg",
            "-drive", $"file={_path},format=raw,if=none,id=disk{(qemuReadOnly ? ",readonly=on" : "")}", "-device", "virtio-blk-pci,drive=disk"]);
        var clock = Stopwatch.StartNew();
        DiskImageException? writerRefused = null;
        while (writerRefused is null && clock.Elapsed < TimeSpan.FromSeconds(60) && !qemu.HasExited)
        {
            try
            {
                new RawDiskImage(_path).Dispose();
                Thread.Sleep(50);
            }
            catch (DiskImageException e)
            {
                writerRefused = e;
            }
        }

        Assert.True(writerRefused is not null, "QEMU never locked the image");
        Assert.Contains(said, writerRefused.Message, StringComparison.Ordinal);
        if (qemuReadOnly)
        {
            using var reader = new RawDiskImage(_path, readOnly: true);
            Assert.True(reader.ReadOnly);
        }
        else
        {
            var readerRefused = Assert.Throws<DiskImageException>(() => new RawDiskImage(_path, readOnly: true));
            Assert.Contains("has it open for writing", readerRefused.Message, StringComparison.Ordinal);
        }
    }

    private static void RequireOnPath(string tool)
    {
        if (!TestKernel.OnPath(tool))
        {
            Assert.Skip($"{tool} is not installed here");
        }
    }

    private static (int Exit, string Output) RunTool(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), $"{tool} did not finish");
        return (process.ExitCode, stdout.Result + stderr);
    }
}
