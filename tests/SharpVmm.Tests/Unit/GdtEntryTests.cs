using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class GdtEntryTests
{
    [Theory]
    // The well-known flat descriptors every boot loader writes.
    [InlineData(GdtEntry.CodeAccess, GdtEntry.Flags64, 0x00AF9B000000FFFFUL)]
    [InlineData(GdtEntry.CodeAccess, GdtEntry.Flags32, 0x00CF9B000000FFFFUL)]
    [InlineData(GdtEntry.DataAccess, GdtEntry.Flags32, 0x00CF93000000FFFFUL)]
    public void Flat_descriptors_encode_to_the_standard_values(byte access, byte flags, ulong expected) =>
        Assert.Equal(expected, GdtEntry.Encode(0, 0xFFFFF, access, flags));

    [Fact]
    public void Descriptor_decodes_into_kvm_segment_fields()
    {
        var seg = GdtEntry.ToSegment(GdtEntry.Encode(0x12345678, 0xFFFFF, GdtEntry.CodeAccess, GdtEntry.Flags64), 0x08);

        Assert.Equal(0x12345678UL, seg.Base);
        Assert.Equal(0xFFFFFFFFu, seg.Limit);
        Assert.Equal((0x08, 0xB, 1, 1, 0, 1, 1), (seg.Selector, seg.Type, seg.S, seg.L, seg.Db, seg.G, seg.Present));
    }

    [Fact]
    public void Byte_granular_limit_is_not_scaled()
    {
        var tss = GdtEntry.ToSegment(GdtEntry.Encode(0, 0x67, GdtEntry.BusyTssAccess, 0), 0x18);

        Assert.Equal(0x67u, tss.Limit);
        Assert.Equal((0xB, 0, 0), (tss.Type, tss.S, tss.G));
    }
}
