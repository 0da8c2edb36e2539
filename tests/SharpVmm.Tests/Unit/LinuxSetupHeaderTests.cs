using SharpVmm.Boot;
using SharpVmm.Boot.Linux;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class LinuxSetupHeaderTests
{
    [Fact]
    public void Header_fields_are_read_from_their_offsets()
    {
        byte[] image = new BzImageBuilder { SetupSectors = 27 }.Build();

        LinuxSetupHeader header = LinuxSetupHeader.Parse("k", image);

        Assert.Equal(27, header.SetupSectors);
        Assert.Equal(28 * 512, header.ProtectedModeOffset);
        Assert.Equal(0x020F, header.Version);
        Assert.Equal("2.15", header.VersionText);
        Assert.Equal(LinuxLoadFlags.LoadedHigh, header.LoadFlags);
        Assert.Equal(LinuxXLoadFlags.Kernel64 | LinuxXLoadFlags.CanBeLoadedAbove4G, header.XLoadFlags);
        Assert.True(header.Supports64BitEntry);
        Assert.Equal(0x20_0000u, header.KernelAlignment);
        Assert.True(header.RelocatableKernel);
        Assert.Equal(2047u, header.CommandLineSize);
        Assert.Equal(0x7FFF_FFFFu, header.InitrdAddressMax);
        Assert.Equal(0x100_0000ul, header.PreferredAddress);
        Assert.Equal(0x10_0000u, header.InitSize);
        Assert.Equal(0x100u, header.PayloadOffset);
        Assert.Equal(0x2E00u, header.PayloadLength);
        Assert.Equal(0x26C - 0x1F1, header.RawBytes.Length);
    }

    [Fact]
    public void Zero_setup_sects_means_four()
    {
        LinuxSetupHeader header = LinuxSetupHeader.Parse("k", new BzImageBuilder { SetupSectors = 0 }.Build());

        Assert.Equal(4, header.SetupSectors);
        Assert.Equal(5 * 512, header.ProtectedModeOffset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0x1FF)]
    [InlineData(0x205)]
    public void Truncated_file_is_rejected(int length)
    {
        byte[] image = new BzImageBuilder().Build()[..length];

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.Truncated, ex.Error);
        Assert.Contains($"file is {length} bytes, too short", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_ending_inside_the_header_is_truncated()
    {
        byte[] image = new BzImageBuilder().Build()[..0x240];

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.Truncated, ex.Error);
        Assert.Contains("setup header runs to offset 0x26c", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_boot_flag_is_rejected()
    {
        byte[] image = new BzImageBuilder().Build();
        image[0x1FE] = 0;

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.BadMagic, ex.Error);
        Assert.Contains("no boot flag 0xaa55", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_HdrS_is_rejected()
    {
        byte[] image = new BzImageBuilder().Build();
        image[0x202] = (byte)'X';

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.BadMagic, ex.Error);
        Assert.Contains("no \"HdrS\" magic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Protocol_older_than_2_06_is_rejected()
    {
        byte[] image = new BzImageBuilder { Version = 0x0205 }.Build();

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Equal("k: boot protocol 2.05 is too old; at least 2.06 is needed", ex.Message);
    }

    [Fact]
    public void Kernel_without_LOADED_HIGH_is_rejected()
    {
        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", new BzImageBuilder { LoadFlags = 0 }.Build()));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Contains("LOADED_HIGH", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Setup_as_large_as_the_file_is_rejected()
    {
        byte[] image = new BzImageBuilder { SetupSectors = 4 }.Build()[..(5 * 512)];

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.Truncated, ex.Error);
        Assert.Contains("no protected-mode kernel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_past_the_kernel_is_malformed()
    {
        byte[] image = new BzImageBuilder().Build();
        image[0x24D] = 0xFF; // payload_length += 0xff00

        var ex = Assert.Throws<BootImageException>(() => LinuxSetupHeader.Parse("k", image));

        Assert.Equal(BootImageError.Malformed, ex.Error);
    }

    [Fact]
    public void Kernel_without_XLF_KERNEL_64_is_not_64_bit_capable()
    {
        LinuxSetupHeader header = LinuxSetupHeader.Parse("k", new BzImageBuilder { XLoadFlags = 0 }.Build());

        var ex = Assert.Throws<BootImageException>(() => header.Require64BitEntry("k"));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.Equal("k: kernel is not 64-bit capable: xloadflags lacks XLF_KERNEL_64", ex.Message);
    }

    [Fact]
    public void Protocol_before_2_12_has_no_64_bit_entry()
    {
        LinuxSetupHeader header = LinuxSetupHeader.Parse("k", new BzImageBuilder { Version = 0x020A }.Build());

        Assert.False(header.Supports64BitEntry);
        var ex = Assert.Throws<BootImageException>(() => header.Require64BitEntry("k"));
        Assert.Contains("boot protocol 2.10 has no xloadflags", ex.Message, StringComparison.Ordinal);
    }
}
