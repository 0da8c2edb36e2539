using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Pci;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Pci;

[Tier(TestTiers.Unit)]
public class PciBusTests
{
    private sealed class TestDevice : IPciDevice
    {
        public TestDevice(uint barSize = 0x1000)
        {
            Config = new PciConfigSpace(0x1234, 0x5678, 0xFF_00_00, revision: 3, interruptPin: 1);
            Config.AddMemoryBar(0, barSize);
            Config.AddCapability(0x09, [0xAA, 0xBB]);
            Config.AddCapability(0x05, [0xCC, 0xDD, 0xEE, 0xFF, 0x11, 0x22]);
            Config.BarRelocated += (b, o, n) => BarRelocated?.Invoke(b, o, n);
            Region = new RecordingDevice();
            Bars = [new PciBar(0, barSize, Region)];
        }

        public PciConfigSpace Config { get; }

        public RecordingDevice Region { get; }

        public IReadOnlyList<PciBar> Bars { get; }

        public event Action<int, ulong, ulong>? BarRelocated;

        public void ReadConfig(int offset, Span<byte> data) => Config.Read(offset, data);

        public void WriteConfig(int offset, ReadOnlySpan<byte> data) => Config.Write(offset, data);
    }

    private static uint Address(int slot, int register, int bus = 0, int function = 0) =>
        PciHostBridge.EnableBit | (uint)(bus << 16) | (uint)(slot << 11) | (uint)(function << 8) | (uint)register;

    private static uint ReadDword(PciHostBridge ports, uint address)
    {
        ports.Write(0, BitConverter.GetBytes(address));
        Span<byte> data = stackalloc byte[4];
        ports.Read(4, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private static void WriteDword(PciHostBridge ports, uint address, uint value)
    {
        ports.Write(0, BitConverter.GetBytes(address));
        ports.Write(4, BitConverter.GetBytes(value));
    }

    private static (MmioBus Mmio, PciBus Bus, PciHostBridge Ports, TestDevice Device) Create()
    {
        var mmio = new MmioBus();
        var bus = new PciBus(mmio);
        var device = new TestDevice();
        bus.Add(1, device);
        return (mmio, bus, new PciHostBridge(bus), device);
    }

    [Fact]
    public void Mechanism_1_reads_the_host_bridge_and_devices_and_floats_absent_ones()
    {
        var (_, _, ports, _) = Create();

        Assert.Equal(0x1237_8086u, ReadDword(ports, Address(0, 0)));
        Assert.Equal(0x0600_0002u, ReadDword(ports, Address(0, 8)));
        Assert.Equal(0x5678_1234u, ReadDword(ports, Address(1, 0)));
        Assert.Equal(0xFFFF_FFFFu, ReadDword(ports, Address(2, 0)));
        Assert.Equal(0xFFFF_FFFFu, ReadDword(ports, Address(1, 0, bus: 1)));
        Assert.Equal(0xFFFF_FFFFu, ReadDword(ports, Address(1, 0, function: 1)));
        Assert.Equal(0xFFFF_FFFFu, ReadDword(ports, Address(1, 0) & ~PciHostBridge.EnableBit));
    }

    [Fact]
    public void Config_address_is_a_dword_register_and_byte_and_word_data_accesses_are_offset()
    {
        var (_, _, ports, _) = Create();
        ports.Write(0, BitConverter.GetBytes(Address(1, 0) | 3));
        Span<byte> dword = stackalloc byte[4];
        ports.Read(0, dword);
        Assert.Equal(Address(1, 0), BinaryPrimitives.ReadUInt32LittleEndian(dword));

        // Linux's pci_check_type1 writes a byte to 0xCFB: not CONFIG_ADDRESS.
        ports.Write(3, [0x01]);
        ports.Read(0, dword);
        Assert.Equal(Address(1, 0), BinaryPrimitives.ReadUInt32LittleEndian(dword));

        Span<byte> word = stackalloc byte[2];
        ports.Read(6, word); // 0xCFE: device ID
        Assert.Equal(0x5678, BinaryPrimitives.ReadUInt16LittleEndian(word));
        Span<byte> b = stackalloc byte[1];
        ports.Write(0, BitConverter.GetBytes(Address(1, 8)));
        ports.Read(4, b);
        Assert.Equal(3, b[0]); // revision
        ports.Read(7, word); // crosses the end of the dword: no exception
    }

    [Fact]
    public void Identity_and_class_are_read_only()
    {
        var (_, _, ports, _) = Create();
        WriteDword(ports, Address(1, 0), 0);
        WriteDword(ports, Address(1, 8), 0);
        Assert.Equal(0x5678_1234u, ReadDword(ports, Address(1, 0)));
        Assert.Equal(0xFF00_0003u, ReadDword(ports, Address(1, 8)));
    }

    [Fact]
    public void Bar_sizing_reads_back_the_size_mask_and_the_bar_is_placed_in_the_window()
    {
        var (mmio, _, ports, device) = Create();
        uint placed = ReadDword(ports, Address(1, 0x10));
        Assert.Equal(PciLayout.MmioWindowBase, placed);
        Assert.Same(device.Region, mmio.Find(placed)!.Device);

        WriteDword(ports, Address(1, 0x04), 0); // memory decode off: unregistered
        Assert.Null(mmio.Find(placed));
        WriteDword(ports, Address(1, 0x10), 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_F000u, ReadDword(ports, Address(1, 0x10)));
        Assert.Equal(0u, ReadDword(ports, Address(1, 0x14))); // BAR 1 not implemented
        Assert.Null(mmio.Find(0xFFFF_F000));
    }

    [Fact]
    public void A_moved_bar_moves_its_mmio_registration_and_raises_the_event()
    {
        var (mmio, _, ports, device) = Create();
        var moves = new List<(int, ulong, ulong)>();
        device.BarRelocated += (b, o, n) => moves.Add((b, o, n));

        WriteDword(ports, Address(1, 0x10), 0xC800_0000);

        Assert.Equal([(0, 0xC000_0000UL, 0xC800_0000UL)], moves);
        Assert.Null(mmio.Find(0xC000_0000));
        Assert.Same(device.Region, mmio.Find(0xC800_0010)!.Device);
        mmio.Write(0xC800_0010, [0x42]);
        Assert.Equal(0x10UL, Assert.Single(device.Region.Writes).Offset);

        WriteDword(ports, Address(1, 0x04), 0);
        Assert.Equal((0, 0xC800_0000UL, 0UL), moves[^1]);
        Assert.Null(mmio.Find(0xC800_0000));
    }

    [Fact]
    public void A_bar_moved_onto_another_device_is_not_decoded_and_counted()
    {
        var (mmio, bus, ports, device) = Create();
        var other = new RecordingDevice();
        mmio.Register(0xD000_0000, 0x1000, other);

        WriteDword(ports, Address(1, 0x10), 0xD000_0000);

        Assert.Equal(1, bus.BarConflicts);
        Assert.Same(other, mmio.Find(0xD000_0000)!.Device);
        WriteDword(ports, Address(1, 0x10), 0xC100_0000); // moving away must not remove the other device
        Assert.Same(other, mmio.Find(0xD000_0000)!.Device);
        Assert.Same(device.Region, mmio.Find(0xC100_0000)!.Device);
    }

    [Fact]
    public void Capability_list_walks_from_the_pointer_to_the_end()
    {
        var (_, _, ports, _) = Create();
        Assert.NotEqual(0u, (ReadDword(ports, Address(1, 4)) >> 16) & PciConfigSpace.StatusCapabilitiesList);
        int pointer = (int)(ReadDword(ports, Address(1, 0x34)) & 0xFF);
        var ids = new List<uint>();
        while (pointer != 0)
        {
            uint header = ReadDword(ports, Address(1, pointer));
            ids.Add(header & 0xFF);
            pointer = (int)((header >> 8) & 0xFC);
        }

        Assert.Equal([0x09u, 0x05u], ids);
    }

    [Fact]
    public void Slots_are_checked_and_the_window_can_fill_up()
    {
        var bus = new PciBus(new MmioBus(), PciLayout.MmioWindowBase, 0x2000);
        Assert.Equal(1, bus.NextFreeSlot);
        bus.Add(1, new TestDevice());
        Assert.Throws<PciConfigurationException>(() => bus.Add(1, new TestDevice()));
        Assert.Throws<PciConfigurationException>(() => bus.Add(0, new TestDevice()));
        Assert.Throws<PciConfigurationException>(() => bus.Add(32, new TestDevice()));
        Assert.Throws<PciConfigurationException>(() => bus.Add(2, new TestDevice(0x2000)));
        Assert.Equal([1], bus.DeviceSlots);
    }

    [Theory]
    [InlineData(1, 0, 17u)]
    [InlineData(1, 3, 16u)]
    [InlineData(3, 0, 19u)]
    [InlineData(4, 1, 17u)]
    public void Intx_swizzles_over_gsi_16_to_19(int slot, int pin, uint gsi) => Assert.Equal(gsi, PciLayout.IntxGsi(slot, pin));

    [Fact]
    public void Device_bus_unregister_removes_only_the_named_range()
    {
        var mmio = new MmioBus();
        var a = new RecordingDevice();
        var b = new RecordingDevice();
        mmio.Register(0x1000, 0x100, a);
        mmio.Register(0x2000, 0x100, b);
        Assert.False(mmio.Unregister(0x1010));
        Assert.True(mmio.Unregister(0x1000));
        Assert.Null(mmio.Find(0x1000));
        Assert.Same(b, mmio.Find(0x2000)!.Device);
        mmio.Register(0x1000, 0x100, b);
    }
}
