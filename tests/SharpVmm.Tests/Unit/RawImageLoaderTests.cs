using SharpVmm.Tests.Support;
using SharpVmm.Boot;
using SharpVmm.Memory;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class RawImageLoaderTests
{
    [Fact]
    public void Image_is_copied_byte_for_byte_at_the_load_address()
    {
        using var memory = GuestMemory.CreateFlat(0x20000);
        string path = Path.GetTempFileName();
        File.WriteAllBytes(path, [0x31, 0xC0, 0xE7, 0x10]);

        int loaded = RawImageLoader.Load(path, memory, new GuestAddress(0x10000));

        Assert.Equal(4, loaded);
        Assert.Equal([0x31, 0xC0, 0xE7, 0x10], memory.GetSpan(new GuestAddress(0x10000), 4).ToArray());
        File.Delete(path);
    }

    [Fact]
    public void Missing_file_is_reported_by_name()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        var ex = Assert.Throws<BootImageException>(() => RawImageLoader.Load("/no/such/image.bin", memory, new GuestAddress(0)));

        Assert.Equal(BootImageError.Missing, ex.Error);
        Assert.Equal("/no/such/image.bin: image file not found", ex.Message);
    }

    [Fact]
    public void A_directory_is_unreadable()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        var ex = Assert.Throws<BootImageException>(() => RawImageLoader.Load(Path.GetTempPath(), memory, new GuestAddress(0)));

        Assert.Equal(BootImageError.Unreadable, ex.Error);
    }

    [Fact]
    public void Image_larger_than_memory_is_rejected_without_writing()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        var ex = Assert.Throws<BootImageException>(() => RawImageLoader.Load("big", new byte[0x8001], memory, new GuestAddress(0x8000)));

        Assert.Equal(BootImageError.TooLarge, ex.Error);
        Assert.Contains("32769 bytes does not fit", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress(0x8000)));
    }

    [Fact]
    public void Load_address_outside_memory_is_its_own_error()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        var ex = Assert.Throws<BootImageException>(() => RawImageLoader.Load("img", [1], memory, new GuestAddress(0x10000)));

        Assert.Equal(BootImageError.LoadAddressOutsideMemory, ex.Error);
        Assert.Contains("load address 0x10000 is outside guest memory", ex.Message, StringComparison.Ordinal);
    }
}
