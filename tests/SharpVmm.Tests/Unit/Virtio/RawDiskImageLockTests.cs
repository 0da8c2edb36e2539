using System.Diagnostics;
using System.Runtime.CompilerServices;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>
/// <see cref="RawDiskImage"/>'s lock, an open-file-description lock over the whole file as QEMU takes: exclusive for a
/// writable image, shared for a read-only one. Open-file-description locks conflict between two opens in one process
/// too, so two images here stand for two VMMs; QEMU's own tools see the lock and are seen.
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
        Assert.Contains("another process holds an exclusive (write) lock on it", e.Message, StringComparison.Ordinal);
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
            Assert.Contains("another process holds a shared (read) lock on it", e.Message, StringComparison.Ordinal);
        }

        using var writer = new RawDiskImage(_path);
        var refused = Assert.Throws<DiskImageException>(() => new RawDiskImage(_path, readOnly: true));
        Assert.Contains("read-only beside a writer", refused.Message, StringComparison.Ordinal);
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Qemu_cannot_open_an_image_sharpvmm_writes_for_writing_or_reading(bool qemuReadOnly)
    {
        RequireOnPath("qemu-io");
        using var image = new RawDiskImage(_path);

        (int exit, string output) = RunTool("qemu-io", [.. qemuReadOnly ? new[] { "-r" } : [], "-f", "raw", "-c", "read 0 512", _path]);

        Assert.True(exit != 0, $"qemu-io opened an image SharpVmm holds for writing:\n{output}");
        Assert.Contains("Failed to lock byte", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "another process holds")]
    [InlineData(true, "(QEMU) has it open for writing")]
    public void An_image_qemu_has_open_for_writing_is_refused_to_a_sharpvmm_writer_or_reader(bool readOnly, string said)
    {
        RequireOnPath("qemu-io");
        using var qemu = new BackgroundProcess("qemu-io", ["-f", "raw", "-c", "sleep 30000", _path]);
        // qemu-io takes its locks as it opens the image: wait until the image is refused, or qemu-io is gone.
        var clock = Stopwatch.StartNew();
        DiskImageException? refused = null;
        while (refused is null && clock.Elapsed < TimeSpan.FromSeconds(20) && !qemu.HasExited)
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

    [Fact]
    public void A_sharpvmm_reader_opens_an_image_qemu_only_reads()
    {
        RequireOnPath("qemu-io");
        using var qemu = new BackgroundProcess("qemu-io", ["-r", "-f", "raw", "-c", "sleep 30000", _path]);
        // Once qemu-io holds its locks a SharpVmm writer is refused; a SharpVmm reader is still let in.
        var clock = Stopwatch.StartNew();
        bool qemuHoldsIt = false;
        while (!qemuHoldsIt && clock.Elapsed < TimeSpan.FromSeconds(20) && !qemu.HasExited)
        {
            try
            {
                new RawDiskImage(_path).Dispose();
                Thread.Sleep(50);
            }
            catch (DiskImageException)
            {
                qemuHoldsIt = true;
            }
        }

        Assert.True(qemuHoldsIt, "qemu-io -r never locked the image");
        using var reader = new RawDiskImage(_path, readOnly: true);
        Assert.True(reader.ReadOnly);
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
