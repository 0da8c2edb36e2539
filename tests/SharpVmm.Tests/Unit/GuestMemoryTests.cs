using SharpVmm.Tests.Support;
using SharpVmm.Memory;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class GuestMemoryTests
{
    [Fact]
    public void Typed_reads_and_writes_round_trip_little_endian()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        memory.Write(new GuestAddress(0x1000), 0x1122334455667788UL);

        Assert.Equal(0x1122334455667788UL, memory.Read<ulong>(new GuestAddress(0x1000)));
        Assert.Equal((byte)0x88, memory.Read<byte>(new GuestAddress(0x1000)));
        Assert.Equal(0x55667788u, memory.Read<uint>(new GuestAddress(0x1000)));
    }

    [Fact]
    public void The_last_byte_is_accessible_and_one_past_it_is_not()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        memory.Write(new GuestAddress(0xFFFF), (byte)7);
        Assert.Equal(7, memory.Read<byte>(new GuestAddress(0xFFFF)));

        var ex = Assert.Throws<GuestMemoryException>(() => memory.Read<byte>(new GuestAddress(0x10000)));
        Assert.Contains("not backed by guest memory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_access_straddling_the_end_throws_and_writes_nothing()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        var ex = Assert.Throws<GuestMemoryException>(() => memory.Write(new GuestAddress(0xFFFC), 0x1122334455667788UL));

        Assert.Contains("runs past the end", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(0xFFFC)));
    }

    [Theory]
    [InlineData(ulong.MaxValue, 2)]
    [InlineData(ulong.MaxValue - 3, 8)]
    [InlineData(0x8000, int.MaxValue)]
    public void Overflowing_or_huge_ranges_throw(ulong address, int length)
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(new GuestAddress(address), length));
    }

    [Fact]
    public void Negative_lengths_throw()
    {
        using var memory = GuestMemory.CreateFlat(0x10000);

        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(new GuestAddress(0), -1));
    }

    [Fact]
    public void Accesses_never_span_two_regions_even_when_they_are_adjacent()
    {
        using var memory = new GuestMemory([
            new GuestMemoryRegion(new GuestAddress(0x1000_0000), 0x1000),
            new GuestMemoryRegion(new GuestAddress(0), 0x1000),
            new GuestMemoryRegion(new GuestAddress(0x1000), 0x1000),
        ]);

        Assert.Equal(new GuestAddress(0), memory.Regions[0].Start);
        memory.Write(new GuestAddress(0x1FFF), (byte)1);
        memory.Write(new GuestAddress(0x1000_0FFF), (byte)2);
        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(new GuestAddress(0xFFE), 4));
        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(new GuestAddress(0x2000), 1));
        Assert.Equal(0x3000UL, memory.TotalSize);
    }

    [Fact]
    public void Overlapping_and_misaligned_regions_are_rejected()
    {
        using var a = new GuestMemoryRegion(new GuestAddress(0), 0x2000);
        using var b = new GuestMemoryRegion(new GuestAddress(0x1000), 0x1000);

        Assert.Throws<GuestMemoryException>(() => new GuestMemory([a, b]));
        Assert.Throws<GuestMemoryException>(() => new GuestMemoryRegion(new GuestAddress(0x800), 0x1000));
        Assert.Throws<GuestMemoryException>(() => new GuestMemoryRegion(new GuestAddress(0), 0x1001));
        Assert.Throws<GuestMemoryException>(() => new GuestMemoryRegion(new GuestAddress(0), 0));
        Assert.Throws<GuestMemoryException>(() => new GuestMemoryRegion(new GuestAddress(0xFFFF_FFFF_FFFF_F000), 0x2000));
    }

    [Fact]
    public void Address_arithmetic_is_checked()
    {
        Assert.Equal(new GuestAddress(0x1010), new GuestAddress(0x1000).Add(0x10));
        Assert.Null(new GuestAddress(ulong.MaxValue).TryAdd(1));
        Assert.Throws<GuestMemoryException>(() => new GuestAddress(ulong.MaxValue - 1).Add(2));
    }

    [Fact]
    public void Memory_is_zeroed_and_reserved_lazily()
    {
        // 1 GiB of MAP_NORESERVE memory costs nothing until touched.
        using var memory = GuestMemory.CreateFlat(1UL << 30);

        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress((1UL << 30) - 8)));
    }
}
