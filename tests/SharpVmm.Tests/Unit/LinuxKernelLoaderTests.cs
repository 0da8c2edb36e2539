using System.Buffers.Binary;
using SharpVmm.Boot;
using SharpVmm.Boot.Linux;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class LinuxKernelLoaderTests
{
    private const ulong MiB = 1 << 20;

    [Fact]
    public void Kernel_goes_to_1_MiB_and_the_entry_is_200_bytes_in()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        var builder = new BzImageBuilder();
        byte[] image = builder.Build();

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, image, [], "console=ttyS0", LinuxBootLayout.Default);

        Assert.Equal(new GuestAddress(0x10_0000), info.KernelAddress);
        Assert.Equal(new GuestAddress(0x10_0200), info.EntryPoint);
        Assert.Equal(new GuestAddress(0x7000), info.ZeroPage);
        Assert.Equal((ulong)builder.ProtectedModeSize, info.KernelSize);
        Assert.Equal(image[builder.ProtectedModeOffset..], memory.GetSpan(info.KernelAddress, builder.ProtectedModeSize).ToArray());
        // Relocatable, loaded below pref_address (16 MiB): runs from 16 MiB and needs init_size (1 MiB) there.
        Assert.Equal(new GuestAddress(17 * MiB), info.KernelMemoryEnd);
        Assert.Null(info.InitrdAddress);
    }

    [Fact]
    public void Command_line_is_NUL_terminated_and_pointed_to_by_the_zero_page()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        memory.Write(new GuestAddress(0x2_000D), (byte)0xEE);

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), [], "console=ttyS0", LinuxBootLayout.Default);

        Assert.Equal(new GuestAddress(0x2_0000), info.CommandLine);
        Assert.Equal(14, info.CommandLineSize);
        Assert.Equal("console=ttyS0\0"u8.ToArray(), memory.GetSpan(new GuestAddress(0x2_0000), 14).ToArray());
        Assert.Equal(0x2_0000u, memory.Read<uint>(new GuestAddress(0x7000 + 0x228)));
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(0x7000 + 0x0C8)));
    }

    [Fact]
    public void Zero_page_carries_the_header_and_the_loader_fields()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        byte[] image = new BzImageBuilder().Build();

        LinuxKernelLoader.Load(memory, image, [], "", LinuxBootLayout.Default);
        byte[] page = memory.GetSpan(new GuestAddress(0x7000), 4096).ToArray();

        Assert.Equal((byte)'H', page[0x202]);
        Assert.Equal(0xAA55, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(0x1FE)));
        Assert.Equal(0x020F, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(0x206)));
        Assert.Equal(image[0x230..0x26C], page[0x230..0x26C]);
        Assert.Equal(0xFF, page[0x210]); // type_of_loader
        Assert.Equal(0x81, page[0x211]); // LOADED_HIGH | CAN_USE_HEAP
        Assert.Equal(0xFE00, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(0x224)));
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(0x1FA)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(0x218)));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(0x070)));
        Assert.All(page[0x26C..0x290], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Default_e820_map_describes_the_pc_layout()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), [], "", LinuxBootLayout.Default);

        E820Entry[] expected =
        [
            new(0, 0x9_FC00, E820Type.Ram),
            new(0x9_FC00, 0x400, E820Type.Reserved),
            new(0xF_0000, 0x1_0000, E820Type.Reserved),
            new(0x10_0000, 63 * MiB, E820Type.Ram),
        ];
        Assert.Equal(expected, info.MemoryMap);
        Assert.Equal(4, memory.Read<byte>(new GuestAddress(0x7000 + 0x1E8)));
        for (int i = 0; i < expected.Length; i++)
        {
            var slot = new GuestAddress(0x7000 + 0x2D0 + ((ulong)i * 20));
            Assert.Equal(expected[i].Address, memory.Read<ulong>(slot));
            Assert.Equal(expected[i].Size, memory.Read<ulong>(slot.Add(8)));
            Assert.Equal((uint)expected[i].Type, memory.Read<uint>(slot.Add(16)));
        }
    }

    [Fact]
    public void Initrd_goes_page_aligned_at_the_top_of_ram()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        byte[] initrd = [.. Enumerable.Range(0, 5000).Select(i => (byte)i)];

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), initrd, "", LinuxBootLayout.Default);

        var expected = new GuestAddress(64 * MiB - 0x2000);
        Assert.Equal(expected, info.InitrdAddress);
        Assert.Equal(5000ul, info.InitrdSize);
        Assert.Equal(initrd, memory.GetSpan(expected, initrd.Length).ToArray());
        Assert.Equal((uint)expected.Value, memory.Read<uint>(new GuestAddress(0x7000 + 0x218)));
        Assert.Equal(5000u, memory.Read<uint>(new GuestAddress(0x7000 + 0x21C)));
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(0x7000 + 0x0C0)));
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(0x7000 + 0x0C4)));
    }

    [Fact]
    public void Initrd_stays_below_initrd_addr_max()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        var builder = new BzImageBuilder { InitrdAddressMax = (uint)(32 * MiB) - 1 };

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, builder.Build(), new byte[4096], "", LinuxBootLayout.Default);

        Assert.Equal(new GuestAddress(32 * MiB - 4096), info.InitrdAddress);
    }

    [Fact]
    public void Initrd_respects_holes_in_a_given_e820_map()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        E820Entry[] map =
        [
            new(0, 0x9_FC00, E820Type.Ram),
            new(0x10_0000, 47 * MiB, E820Type.Ram),
            new(48 * MiB, 16 * MiB, E820Type.Reserved),
        ];

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), new byte[4096], "", LinuxBootLayout.Default, map);

        Assert.Equal(new GuestAddress(48 * MiB - 4096), info.InitrdAddress);
        Assert.Equal(3, memory.Read<byte>(new GuestAddress(0x7000 + 0x1E8)));
    }

    [Fact]
    public void Initrd_larger_than_the_room_above_the_kernel_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        byte[] initrd = new byte[48 * MiB]; // the kernel needs up to 17 MiB

        var ex = Assert.Throws<BootImageException>(() =>
            LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), initrd, "", LinuxBootLayout.Default));

        Assert.Equal(BootImageError.InitrdDoesNotFit, ex.Error);
        Assert.StartsWith("initrd: initrd of 50331648 bytes does not fit", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0ul, memory.Read<ulong>(new GuestAddress(0x10_0000)));
    }

    [Fact]
    public void Command_line_longer_than_cmdline_size_is_rejected_with_its_length()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        var builder = new BzImageBuilder { CommandLineSize = 16 };

        var ex = Assert.Throws<BootImageException>(() =>
            LinuxKernelLoader.Load(memory, builder.Build(), [], new string('x', 17), LinuxBootLayout.Default));

        Assert.Equal(BootImageError.CommandLineTooLong, ex.Error);
        Assert.Equal("bzImage: kernel command line is 17 bytes; the kernel accepts at most 16", ex.Message);
    }

    [Fact]
    public void Command_line_of_exactly_cmdline_size_is_accepted()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);

        LinuxBootInfo info = LinuxKernelLoader.Load(memory, new BzImageBuilder { CommandLineSize = 16 }.Build(), [], new string('x', 16), LinuxBootLayout.Default);

        Assert.Equal(17, info.CommandLineSize);
    }

    [Fact]
    public void Kernel_larger_than_memory_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(2 * MiB);
        byte[] image = new BzImageBuilder { ProtectedModeSize = (int)(1 * MiB) + 1, InitSize = 0 }.Build();

        var ex = Assert.Throws<BootImageException>(() => LinuxKernelLoader.Load(memory, image, [], "", LinuxBootLayout.Default));

        Assert.Equal(BootImageError.TooLarge, ex.Error);
        Assert.Contains("protected-mode kernel of 1048577 bytes does not fit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_size_beyond_memory_is_rejected()
    {
        using var memory = GuestMemory.CreateFlat(16 * MiB);

        var ex = Assert.Throws<BootImageException>(() =>
            LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), [], "", LinuxBootLayout.Default));

        Assert.Equal(BootImageError.TooLarge, ex.Error);
        Assert.Contains("(init_size) from 0x1000000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_below_1_MiB_only_cannot_take_the_kernel()
    {
        using var memory = GuestMemory.CreateFlat(MiB);

        var ex = Assert.Throws<BootImageException>(() =>
            LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), [], "", LinuxBootLayout.Default));

        Assert.Equal(BootImageError.LoadAddressOutsideMemory, ex.Error);
    }

    [Fact]
    public void Kernel_without_64_bit_entry_is_rejected_by_the_loader()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);

        var ex = Assert.Throws<BootImageException>(() =>
            LinuxKernelLoader.Load(memory, new BzImageBuilder { XLoadFlags = 0 }.Build(), [], "", LinuxBootLayout.Default));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
    }

    [Fact]
    public void Zero_page_inside_the_kernel_is_an_overlap()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        LinuxBootLayout layout = LinuxBootLayout.Default with { ZeroPage = new GuestAddress(0x10_1000) };

        var ex = Assert.Throws<BootImageException>(() => LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), [], "", layout));

        Assert.Equal(BootImageError.Overlap, ex.Error);
        Assert.Contains("overlaps the zero page at 0x101000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acpi_rsdp_from_the_layout_goes_in_the_zero_page()
    {
        using var memory = GuestMemory.CreateFlat(64 * MiB);
        LinuxBootLayout layout = LinuxBootLayout.Default with { AcpiRsdp = new GuestAddress(0xE_0000) };

        LinuxKernelLoader.Load(memory, new BzImageBuilder().Build(), [], "", layout);

        Assert.Equal(0xE_0000ul, memory.Read<ulong>(new GuestAddress(0x7000 + 0x070)));
    }

    [Fact]
    public void Boot_params_split_high_addresses_into_the_ext_fields()
    {
        var zeroPage = new BootParams(LinuxSetupHeader.Parse("k", new BzImageBuilder().Build()));

        zeroPage.SetCommandLine(new GuestAddress(0x1_2345_6000));
        zeroPage.SetRamdisk(new GuestAddress(0x2_0000_1000), 0x3_0000_0010);
        zeroPage.SetAcpiRsdpAddress(new GuestAddress(0xE_0000));
        ReadOnlySpan<byte> page = zeroPage.Bytes;

        Assert.Equal(0x2345_6000u, BinaryPrimitives.ReadUInt32LittleEndian(page[0x228..]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(page[0x0C8..]));
        Assert.Equal(0x1000u, BinaryPrimitives.ReadUInt32LittleEndian(page[0x218..]));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(page[0x0C0..]));
        Assert.Equal(0x10u, BinaryPrimitives.ReadUInt32LittleEndian(page[0x21C..]));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(page[0x0C4..]));
        Assert.Equal(0xE_0000ul, BinaryPrimitives.ReadUInt64LittleEndian(page[0x070..]));
    }

    [Fact]
    public void Boot_params_reject_more_than_128_e820_entries()
    {
        var zeroPage = new BootParams(LinuxSetupHeader.Parse("k", new BzImageBuilder().Build()));
        E820Entry[] map = [.. Enumerable.Range(0, 129).Select(i => new E820Entry((ulong)i * 0x1000, 0x1000, E820Type.Ram))];

        Assert.Throws<ArgumentException>(() => zeroPage.SetE820Map(map));
    }
}
