using System.Diagnostics;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Snapshot;

/// <summary>Memory files: sparse full files, diff files, merging, and loading mapped copy-on-write or copied.</summary>
[Tier(TestTiers.Unit)]
public class GuestMemoryFileTests
{
    private const ulong Size = 64UL << 20;

    [Fact]
    public void A_full_memory_file_is_the_memory_size_and_its_zero_pages_take_no_disk()
    {
        using var dir = new TempDirectory();
        using GuestMemory memory = GuestRamLayout.ForSize(Size).CreateMemory();
        memory.Write(new GuestAddress(0x1000), 0xDEADBEEFUL);
        memory.Write(new GuestAddress(Size - 8), 0x1234UL);
        string path = dir.File("mem");

        long written = GuestMemoryFile.WriteFull(memory, path);

        Assert.Equal((long)Size, new FileInfo(path).Length);
        Assert.Equal(2 * 4096, written);
        Assert.True(AllocatedBytes(path) <= 64 * 1024, $"{AllocatedBytes(path)} bytes allocated on disk for two pages");
    }

    [Fact]
    public void A_memory_file_mapped_copy_on_write_reads_as_the_memory_and_takes_the_guests_writes_privately()
    {
        using var dir = new TempDirectory();
        GuestRamLayout layout = GuestRamLayout.ForSize(Size);
        string path = dir.File("mem");
        using (GuestMemory original = layout.CreateMemory())
        {
            original.Write(new GuestAddress(0x2000), 42UL);
            GuestMemoryFile.WriteFull(original, path);
        }

        byte[] before = File.ReadAllBytes(path);
        using GuestMemory mapped = GuestMemoryFile.Load(path, layout, copy: false);
        mapped.Write(new GuestAddress(0x2000), 43UL);

        Assert.Equal(43UL, mapped.Read<ulong>(new GuestAddress(0x2000)));
        Assert.Equal(0UL, mapped.Read<ulong>(new GuestAddress(0x3000)));
        Assert.Equal(before, File.ReadAllBytes(path)); // MAP_PRIVATE: the file is never written
    }

    [Fact]
    public void A_memory_file_copied_in_reads_as_the_memory()
    {
        using var dir = new TempDirectory();
        GuestRamLayout layout = GuestRamLayout.ForSize(Size);
        string path = dir.File("mem");
        using (GuestMemory original = layout.CreateMemory())
        {
            original.Write(new GuestAddress(Size - 4096), 7UL);
            GuestMemoryFile.WriteFull(original, path);
        }

        using GuestMemory copied = GuestMemoryFile.Load(path, layout, copy: true);

        Assert.Equal(7UL, copied.Read<ulong>(new GuestAddress(Size - 4096)));
    }

    [Fact]
    public void A_memory_file_of_another_size_is_refused_before_anything_is_mapped()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mem");
        File.WriteAllBytes(path, new byte[8192]);

        var ex = Assert.Throws<GuestMemoryException>(() => GuestMemoryFile.Load(path, GuestRamLayout.ForSize(Size), copy: false));

        Assert.Contains("8192 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_diff_merged_onto_the_full_file_before_it_gives_the_full_file_of_its_moment_zero_pages_included()
    {
        using var dir = new TempDirectory();
        GuestRamLayout layout = GuestRamLayout.ForSize(Size);
        using GuestMemory memory = layout.CreateMemory();
        memory.Write(new GuestAddress(0x5000), 1UL);
        memory.Write(new GuestAddress(0x9000), 2UL);
        string baseFile = dir.File("base"), diffFile = dir.File("diff"), later = dir.File("later");
        GuestMemoryFile.WriteFull(memory, baseFile);
        memory.StartWriteTracking();

        memory.Write(new GuestAddress(0x5000), 0UL);   // a page that becomes all zeros
        memory.Write(new GuestAddress(0x20000), 3UL);  // a page written for the first time
        var changed = memory.Regions.Select(r => r.TakeWrittenPages()!).ToList();
        GuestMemoryFile.WriteDiff(memory, diffFile, changed);
        GuestMemoryFile.WriteFull(memory, later);
        long copied = GuestMemoryFile.MergeDiff(diffFile, baseFile);

        Assert.Equal(2 * 4096, copied);
        Assert.Equal(File.ReadAllBytes(later), File.ReadAllBytes(baseFile));
    }

    [Fact]
    public void Write_tracking_records_the_pages_the_vmm_reaches_and_clears_them_when_taken()
    {
        using GuestMemory memory = GuestRamLayout.ForSize(Size).CreateMemory();
        memory.Write(new GuestAddress(0x1000), 1UL); // before tracking: not recorded
        memory.StartWriteTracking();

        memory.Write(new GuestAddress(0x3FFC), 0x1122334455667788UL); // straddles pages 3 and 4
        ulong[] taken = memory.Regions[0].TakeWrittenPages()!;
        ulong[] again = memory.Regions[0].TakeWrittenPages()!;

        Assert.Equal((1UL << 3) | (1UL << 4), taken[0]);
        Assert.All(again, word => Assert.Equal(0UL, word));
    }

    private static long AllocatedBytes(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true };
        using Process stat = Process.Start(psi)!;
        string[] parts = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
