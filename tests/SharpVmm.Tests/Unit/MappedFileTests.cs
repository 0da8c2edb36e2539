using SharpVmm.Boot;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>Kernel and initrd files are mapped read-only instead of read into arrays.</summary>
[Tier(TestTiers.Unit)]
public class MappedFileTests
{
    [Fact]
    public void A_mapped_file_holds_the_files_bytes_in_order()
    {
        using var dir = new TempDirectory();
        string path = dir.File("image.bin");
        byte[] bytes = new byte[3 * 4096 + 17]; // not a whole number of pages
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        using MappedFile file = MappedFile.Open(path);

        Assert.Equal(bytes.Length, file.Length);
        Assert.Equal(bytes, file.Memory.ToArray());
    }

    [Fact]
    public void An_empty_file_maps_to_empty_memory()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.bin");
        File.WriteAllBytes(path, []);

        using MappedFile file = MappedFile.Open(path);

        Assert.Equal(0, file.Length);
        Assert.True(file.Memory.IsEmpty);
    }

    [Fact]
    public void A_mapped_file_is_unreadable_after_dispose()
    {
        using var dir = new TempDirectory();
        string path = dir.File("image.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        MappedFile file = MappedFile.Open(path);

        ((IDisposable)file).Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.GetSpan());
    }

    [Fact]
    public void The_mapping_outlives_the_file_being_deleted()
    {
        using var dir = new TempDirectory();
        string path = dir.File("image.bin");
        File.WriteAllBytes(path, [9, 8, 7, 6]);

        using MappedFile file = MappedFile.Open(path);
        File.Delete(path);

        Assert.Equal([9, 8, 7, 6], file.Memory.ToArray());
    }

    [Fact]
    public void Mapping_a_missing_kernel_is_reported_as_missing_by_name()
    {
        var ex = Assert.Throws<BootImageException>(() => RawImageLoader.MapFile("/no/such/bzImage", "kernel"));

        Assert.Equal(BootImageError.Missing, ex.Error);
        Assert.Equal("/no/such/bzImage: kernel file not found", ex.Message);
    }

    [Fact]
    public void Mapping_a_directory_is_reported_as_unreadable()
    {
        var ex = Assert.Throws<BootImageException>(() => RawImageLoader.MapFile(Path.GetTempPath(), "initrd"));

        Assert.Equal(BootImageError.Unreadable, ex.Error);
        Assert.StartsWith($"{Path.GetTempPath()}: cannot read initrd", ex.Message, StringComparison.Ordinal);
    }
}
