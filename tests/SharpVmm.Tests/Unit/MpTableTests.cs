using SharpVmm.Tests.Support;
using System.Buffers.Binary;
using System.Text;
using SharpVmm.Memory;
using SharpVmm.X86;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class MpTableTests
{
    private const uint Address = 0x9FC00;

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(64)]
    public void Floating_pointer_and_configuration_table_checksums_are_zero(int cpus)
    {
        byte[] table = MpTable.Build(Address, cpus);

        Assert.Equal("_MP_", Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal(0, Sum(table.AsSpan(0, 16)));
        Assert.Equal(Address + 16, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4)));
        Assert.Equal(1, table[8]);
        Assert.Equal(4, table[9]);

        ReadOnlySpan<byte> config = table.AsSpan(16);
        Assert.Equal("PCMP", Encoding.ASCII.GetString(config[..4]));
        int length = BinaryPrimitives.ReadUInt16LittleEndian(config[4..]);
        Assert.Equal(table.Length - 16, length);
        Assert.Equal(0, Sum(config[..length]));
        Assert.Equal(MpTable.LocalApicAddress, BinaryPrimitives.ReadUInt32LittleEndian(config[36..]));
    }

    [Fact]
    public void Every_vcpu_is_listed_enabled_and_only_vcpu_0_is_the_boot_processor()
    {
        List<byte[]> entries = Entries(MpTable.Build(Address, 3));

        var processors = entries.Where(e => e[0] == 0).ToList();
        Assert.Equal([0, 1, 2], processors.Select(p => (int)p[1]));
        Assert.All(processors, p => Assert.Equal(1, p[3] & 1));
        Assert.Equal([2, 0, 0], processors.Select(p => p[3] & 2));
    }

    [Fact]
    public void The_ioapic_follows_the_cpus_and_receives_every_isa_irq_on_the_same_pin()
    {
        List<byte[]> entries = Entries(MpTable.Build(Address, 2));

        byte[] ioApic = Assert.Single(entries, e => e[0] == 2);
        Assert.Equal(2, ioApic[1]);
        Assert.Equal(MpTable.IoApicAddress, BinaryPrimitives.ReadUInt32LittleEndian(ioApic.AsSpan(4)));

        var irqs = entries.Where(e => e[0] == 3).ToList();
        Assert.Equal(MpTable.IsaIrqCount, irqs.Count);
        Assert.All(irqs, e => Assert.Equal((e[5], (byte)2), (e[7], e[6])));
        Assert.All(irqs, e => Assert.Equal(0, e[1])); // all INT: the PIC reaches the CPUs through LINT0 only

        var lints = entries.Where(e => e[0] == 4).ToList();
        Assert.Equal([(3, 0), (1, 1)], lints.Select(e => ((int)e[1], (int)e[7])));
        Assert.Equal("ISA   ", Encoding.ASCII.GetString(Assert.Single(entries, e => e[0] == 1), 2, 6));
    }

    [Fact]
    public void Write_places_the_table_in_guest_memory_and_rejects_bad_places()
    {
        using var memory = GuestMemory.CreateFlat(1 << 20);
        MpTable.Write(memory, MpTable.DefaultAddress, 2);

        byte[] copy = new byte[MpTable.SizeFor(2)];
        memory.Read(MpTable.DefaultAddress, copy);
        Assert.Equal(MpTable.Build((uint)MpTable.DefaultAddress.Value, 2), copy);

        Assert.Throws<ArgumentException>(() => MpTable.Write(memory, new GuestAddress(0x9FC08), 2));
        Assert.Throws<ArgumentException>(() => MpTable.Write(memory, new GuestAddress(0xFFF00), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Write(memory, MpTable.DefaultAddress, 0));
    }

    private static int Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return sum;
    }

    // Walks the configuration table's entries by their types' sizes (processor entries are 20 bytes, others 8).
    private static List<byte[]> Entries(byte[] table)
    {
        ReadOnlySpan<byte> config = table.AsSpan(16);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(config[34..]);
        var result = new List<byte[]>();
        int offset = 44;
        for (int i = 0; i < count; i++)
        {
            int size = config[offset] == 0 ? 20 : 8;
            result.Add(config.Slice(offset, size).ToArray());
            offset += size;
        }

        Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(config[4..]), offset);
        return result;
    }
}
