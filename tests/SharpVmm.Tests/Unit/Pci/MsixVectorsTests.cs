using SharpVmm.Tests.Support;
using System.Buffers.Binary;
using SharpVmm.Devices.Pci;
using Xunit;

namespace SharpVmm.Tests.Unit.Pci;

[Tier(TestTiers.Unit)]
public class MsixVectorsTests
{
    private static (MsixVectors Msix, PciConfigSpace Config, int Cap, RecordingMsiSink Sink) Create(int count = 4)
    {
        var sink = new RecordingMsiSink();
        var msix = new MsixVectors(count, sink);
        var config = new PciConfigSpace(1, 2, 0);
        config.AddMemoryBar(1, 0x1000);
        int cap = msix.AddCapability(config, 1, 0, 1, 0x800);
        return (msix, config, cap, sink);
    }

    private static void Program(MsixVectors msix, int vector, ulong address, uint data, bool masked)
    {
        Span<byte> entry = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], data);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], masked ? 1u : 0u);
        msix.WriteTable((ulong)vector * 16, entry[..8]);
        msix.WriteTable(((ulong)vector * 16) + 8, entry[8..12]);
        msix.WriteTable(((ulong)vector * 16) + 12, entry[12..]);
    }

    private static void SetControl(MsixVectors msix, PciConfigSpace config, int cap, ushort control)
    {
        config.Write(cap + 2, BitConverter.GetBytes(control));
        msix.UpdateFromConfig(config);
    }

    [Fact]
    public void Capability_describes_table_size_and_locations()
    {
        var (_, config, cap, _) = Create(count: 5);
        Assert.Equal(MsixVectors.CapabilityId, config.ReadUInt16(cap) & 0xFF);
        Assert.Equal(4, config.ReadUInt16(cap + 2)); // table size N-1
        Assert.Equal(0x0000_0001u, config.ReadUInt32(cap + 4));
        Assert.Equal(0x0000_0801u, config.ReadUInt32(cap + 8));
        config.Write(cap + 2, [0xFF, 0xFF]); // only enable and function mask are writable
        Assert.Equal(0xC004, config.ReadUInt16(cap + 2));
    }

    [Fact]
    public void Nothing_is_sent_while_msix_is_disabled()
    {
        var (msix, _, _, sink) = Create();
        Program(msix, 0, 0xFEE0_0000, 0x41, masked: false);
        Assert.False(msix.Signal(0));
        Assert.Empty(sink.Messages);
        Assert.False(msix.IsPending(0));
    }

    [Fact]
    public void Unmasked_vector_is_sent_with_its_address_and_data()
    {
        var (msix, config, cap, sink) = Create();
        SetControl(msix, config, cap, MsixVectors.ControlEnable);
        Program(msix, 2, 0xFEE0_1000, 0x4021, masked: false);

        Assert.True(msix.Signal(2));

        Assert.Equal([new MsiMessage(0xFEE0_1000, 0x4021)], sink.Messages);
        Assert.False(msix.Signal(4)); // no such vector
    }

    [Fact]
    public void Masked_vector_becomes_pending_and_is_sent_when_unmasked()
    {
        var (msix, config, cap, sink) = Create();
        SetControl(msix, config, cap, MsixVectors.ControlEnable);
        Assert.True(msix.IsMasked(1)); // entries start masked
        Program(msix, 1, 0xFEE0_0000, 0x30, masked: true);

        msix.Signal(1);
        Assert.Empty(sink.Messages);
        Assert.True(msix.IsPending(1));
        Span<byte> pba = stackalloc byte[8];
        msix.ReadPba(0, pba);
        Assert.Equal(0b10, pba[0]);

        msix.WriteTable(16 + 12, [0, 0, 0, 0]);

        Assert.Equal([new MsiMessage(0xFEE0_0000, 0x30)], sink.Messages);
        Assert.False(msix.IsPending(1));
    }

    [Fact]
    public void Function_mask_holds_every_vector_until_cleared()
    {
        var (msix, config, cap, sink) = Create();
        Program(msix, 0, 0xFEE0_0000, 0x50, masked: false);
        SetControl(msix, config, cap, MsixVectors.ControlEnable | MsixVectors.ControlFunctionMask);

        msix.Signal(0);
        Assert.Empty(sink.Messages);

        SetControl(msix, config, cap, MsixVectors.ControlEnable);
        Assert.Equal(0x50u, Assert.Single(sink.Messages).Data);
    }

    [Fact]
    public void Table_changes_raise_an_event_and_reserved_control_bits_stay_clear()
    {
        var (msix, _, _, _) = Create();
        var changed = new List<int>();
        msix.VectorChanged += changed.Add;
        msix.WriteTable(3 * 16, [0x00, 0x10, 0xE0, 0xFE]);
        msix.WriteTable((3 * 16) + 12, [0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal([3, 3], changed);
        Span<byte> control = stackalloc byte[4];
        msix.ReadTable((3 * 16) + 12, control);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(control));
        Assert.Equal(0xFEE0_1000UL, msix.Message(3).Address);

        msix.WriteTable(0x1000, [1, 2, 3]); // past the table: dropped
        msix.WriteTable((4 * 16) - 2, [1, 2, 3, 4]); // runs off the end: clipped
        Span<byte> tail = stackalloc byte[4];
        msix.ReadTable((4 * 16) - 2, tail);
        Assert.Equal([0, 0, 0, 0], tail.ToArray());
    }
}
