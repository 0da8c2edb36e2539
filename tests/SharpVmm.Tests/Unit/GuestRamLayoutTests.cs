using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>Guest RAM below the 32-bit device hole and from 4 GiB up, and where the layout shows outside the boot loaders.</summary>
[Tier(TestTiers.Unit)]
public class GuestRamLayoutTests
{
    private const ulong MiB = 1UL << 20, GiB = 1UL << 30;

    private static readonly (ulong Start, ulong End) Hole = (3 * GiB, 4 * GiB);

    [Fact]
    public void A_guest_of_2_gib_has_one_block_of_ram_from_address_0()
    {
        GuestRamLayout layout = GuestRamLayout.ForSize(2 * GiB);

        Assert.Equal([new GuestRamRange(new GuestAddress(0), 2 * GiB)], layout.Ranges);
        Assert.Equal((2 * GiB, 0UL, 2 * GiB), (layout.BelowHoleSize, layout.AboveFourGiBSize, layout.End));
    }

    [Fact]
    public void A_guest_of_exactly_3_gib_fills_the_space_below_the_hole_and_has_nothing_at_4_gib()
    {
        GuestRamLayout layout = GuestRamLayout.ForSize(3 * GiB);

        Assert.Equal([new GuestRamRange(new GuestAddress(0), 3 * GiB)], layout.Ranges);
        Assert.Equal(0UL, layout.AboveFourGiBSize);
        Assert.Equal(GuestRamLayout.HoleStart, layout.End);
    }

    [Fact]
    public void A_guest_of_3_gib_and_one_page_has_its_last_page_at_4_gib()
    {
        GuestRamLayout layout = GuestRamLayout.ForSize((3 * GiB) + 4096);

        Assert.Equal(
            [new GuestRamRange(new GuestAddress(0), 3 * GiB), new GuestRamRange(new GuestAddress(4 * GiB), 4096)],
            layout.Ranges);
    }

    [Fact]
    public void A_guest_of_8_gib_has_3_gib_below_the_hole_and_5_gib_from_4_gib()
    {
        GuestRamLayout layout = GuestRamLayout.ForSize(8 * GiB);

        Assert.Equal(
            [new GuestRamRange(new GuestAddress(0), 3 * GiB), new GuestRamRange(new GuestAddress(4 * GiB), 5 * GiB)],
            layout.Ranges);
        Assert.Equal((3 * GiB, 5 * GiB, 8 * GiB, 9 * GiB), (layout.BelowHoleSize, layout.AboveFourGiBSize, layout.TotalSize, layout.End));
        Assert.False(layout.Overlaps(Hole.Start, Hole.End - Hole.Start));
        Assert.True(layout.Overlaps(Hole.End - 4096, 4097));
        Assert.True(layout.Overlaps(Hole.Start - 1, 2));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(4095UL)]
    [InlineData((1UL << 40) + 4096)]
    public void Sizes_that_are_zero_unaligned_or_above_1_tib_are_refused(ulong size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestRamLayout.ForSize(size));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtualMachineBuilder().WithMemory(size));
    }

    [Fact]
    public void The_memory_of_an_8_gib_guest_is_backed_below_the_hole_and_from_4_gib_but_not_in_the_hole()
    {
        using GuestMemory memory = GuestRamLayout.ForSize(8 * GiB).CreateMemory();

        Assert.Equal(8 * GiB, memory.TotalSize);
        Assert.Equal([(0UL, 3 * GiB), (4 * GiB, 5 * GiB)], memory.Regions.Select(r => (r.Start.Value, r.Size)));
        memory.Write(new GuestAddress((9 * GiB) - 8), 0x0123_4567_89AB_CDEFUL);
        Assert.Equal(0x0123_4567_89AB_CDEFUL, memory.Read<ulong>(new GuestAddress((9 * GiB) - 8)));
        Assert.False(memory.Contains(new GuestAddress(Hole.Start), 1));
        Assert.False(memory.Contains(new GuestAddress(Hole.End - 1), 1));
        Assert.False(memory.Contains(new GuestAddress(Hole.Start - 4), 8)); // runs from RAM into the hole
    }

    [Fact]
    public void The_e820_map_of_an_8_gib_guest_lists_ram_above_4_gib_and_nothing_in_the_hole()
    {
        IReadOnlyList<E820Entry> map = E820Map.ForLayout(GuestRamLayout.ForSize(8 * GiB));

        Assert.Equal(
            [
                new E820Entry(0, 0x9_FC00, E820Type.Ram),
                new E820Entry(0x9_FC00, 0x400, E820Type.Reserved),
                new E820Entry(0xF_0000, 0x1_0000, E820Type.Reserved),
                new E820Entry(MiB, (3 * GiB) - MiB, E820Type.Ram),
                new E820Entry(4 * GiB, 5 * GiB, E820Type.Ram),
            ],
            map);
        Assert.DoesNotContain(map, e => e.Address < Hole.End && e.End > Hole.Start);
    }

    [Fact]
    public void The_e820_map_of_a_guest_that_fits_below_the_hole_is_the_one_block_pc_map()
    {
        using GuestMemory memory = GuestMemory.CreateFlat(64 * MiB);

        Assert.Equal(E820Map.ForGuestMemory(memory), E820Map.ForLayout(GuestRamLayout.ForSize(64 * MiB)));
    }

    [Fact]
    public void An_mmio_device_on_ram_above_4_gib_is_refused_before_kvm_is_opened()
    {
        var builder = new VirtualMachineBuilder().WithMemory(6 * GiB).WithKvmDevice("/nonexistent/kvm")
            .AddMmioDevice(5 * GiB, 0x1000, new RecordingDevice());

        var ex = Assert.Throws<Devices.Bus.BusConflictException>(builder.Build);

        Assert.Contains("overlaps guest RAM", ex.Message, StringComparison.Ordinal);
        Assert.Equal(6 * GiB, builder.RamLayout.TotalSize);
    }
}
