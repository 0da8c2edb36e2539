using SharpVmm.Tests.Support;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class GsiRoutingTableTests
{
    [Fact]
    public void Default_table_matches_kvms_own_routes()
    {
        var routes = GsiRoutingTable.DefaultX86();

        Assert.Equal(24 + 16, routes.Count);
        Assert.All(routes, r => Assert.False(r.IsMsi));
        for (uint gsi = 0; gsi < 24; gsi++)
        {
            Assert.Contains(GsiRoute.Irqchip(gsi, KvmIrqchip.Ioapic, gsi), routes);
        }

        for (uint gsi = 0; gsi < 8; gsi++)
        {
            Assert.Contains(GsiRoute.Irqchip(gsi, KvmIrqchip.PicMaster, gsi), routes);
            Assert.Contains(GsiRoute.Irqchip(gsi + 8, KvmIrqchip.PicSlave, gsi), routes);
        }

        Assert.Equal(routes.Count, routes.Distinct().Count());
        Assert.Single(routes, r => r.Gsi == 20); // above 15: IOAPIC only
    }

    [Fact]
    public void Msi_routes_are_appended_above_the_ioapic_pins_only()
    {
        var routes = GsiRoutingTable.DefaultX86With([GsiRoute.Msi(24, 0xFEE0_1000, 0x4031)]);

        Assert.Equal(41, routes.Count);
        Assert.Equal(GsiRoute.Msi(24, 0xFEE0_1000, 0x4031), routes[^1]);
        Assert.Throws<ArgumentException>(() => GsiRoutingTable.DefaultX86With([GsiRoute.Msi(5, 0xFEE0_0000, 0x30)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GsiRoute.Irqchip(3, KvmIrqchip.PicMaster, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => GsiRoute.Irqchip(3, KvmIrqchip.Ioapic, 24));
    }

    [Fact]
    public void Kernel_entries_fill_the_union_the_way_the_header_lays_it_out()
    {
        KvmIrqRoutingEntry pin = GsiRoute.Irqchip(9, KvmIrqchip.PicSlave, 1).ToKernelEntry();
        Assert.Equal((9u, KvmIrqRoutingEntry.TypeIrqchip, 1u, 1u), (pin.Gsi, pin.Type, Word(pin, 0), Word(pin, 1)));

        KvmIrqRoutingEntry msi = GsiRoute.Msi(30, 0x1_FEE0_2000, 0xC041).ToKernelEntry();
        Assert.Equal((30u, KvmIrqRoutingEntry.TypeMsi), (msi.Gsi, msi.Type));
        Assert.Equal((0xFEE0_2000u, 1u, 0xC041u, 0u), (Word(msi, 0), Word(msi, 1), Word(msi, 2), Word(msi, 3)));
    }

    // Word n of the union u, which starts at byte 16 of struct kvm_irq_routing_entry (checked by KvmLayoutTests).
    private static uint Word(KvmIrqRoutingEntry entry, int n) =>
        BinaryPrimitives.ReadUInt32LittleEndian(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref entry, 1))[(16 + (4 * n))..]);
}
