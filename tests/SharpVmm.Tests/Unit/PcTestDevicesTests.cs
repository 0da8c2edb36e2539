using SharpVmm.Devices;
using SharpVmm.Devices.Testing;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>QEMU's pc-testdev, at the offsets each of its parts decodes.</summary>
[Tier(TestTiers.Unit)]
public class PcTestDevicesTests
{
    [Fact]
    public void The_data_register_reads_back_a_32_bit_write()
    {
        var register = new TestDataRegister();
        register.Write(0, [0x78, 0x56, 0x34, 0x12]);

        var back = new byte[4];
        register.Read(0, back);

        Assert.Equal([0x78, 0x56, 0x34, 0x12], back);
        Assert.Equal(0x12345678u, register.Value);
    }

    [Theory]
    [InlineData(0ul, new byte[] { 0xAA }, 0x112233AAu)]
    [InlineData(1ul, new byte[] { 0xAA }, 0x1122AA44u)]
    [InlineData(3ul, new byte[] { 0xAA }, 0xAA223344u)]
    [InlineData(2ul, new byte[] { 0xBB, 0xAA }, 0xAABB3344u)]
    public void A_narrow_write_replaces_only_the_bytes_at_its_offset(ulong offset, byte[] data, uint expected)
    {
        var register = new TestDataRegister();
        register.Write(0, [0x44, 0x33, 0x22, 0x11]);

        register.Write(offset, data);

        Assert.Equal(expected, register.Value);
    }

    [Theory]
    [InlineData(0ul, 1, new byte[] { 0x44 })]
    [InlineData(1ul, 1, new byte[] { 0x33 })]
    [InlineData(2ul, 2, new byte[] { 0x22, 0x11 })]
    [InlineData(3ul, 1, new byte[] { 0x11 })]
    public void A_narrow_read_returns_the_bytes_at_its_offset(ulong offset, int width, byte[] expected)
    {
        var register = new TestDataRegister();
        register.Write(0, [0x44, 0x33, 0x22, 0x11]);

        var back = new byte[width];
        register.Read(offset, back);

        Assert.Equal(expected, back);
    }

    [Fact]
    public void Bytes_of_an_access_past_the_fourth_port_are_not_the_registers()
    {
        var register = new TestDataRegister();
        register.Write(2, [0x01, 0x02, 0x03, 0x04]);

        var back = new byte[4];
        register.Read(2, back);

        Assert.Equal(0x02010000u, register.Value);
        Assert.Equal([0x01, 0x02, 0xFF, 0xFF], back);
    }

    [Fact]
    public void A_write_of_v_to_port_n_drives_line_n_to_v_not_zero()
    {
        RecordingInterruptLine[] lines = Lines();
        var ports = new TestIrqLinePorts(lines);

        ports.Write(5, [1]);
        ports.Write(5, [0]);
        ports.Write(14, [0x80]);
        ports.Write(23, [0xFF]);

        Assert.Equal([true, false], lines[5].Levels);
        Assert.Equal([true], lines[14].Levels);
        Assert.Equal([true], lines[23].Levels);
        Assert.All(lines.Where((_, n) => n is not (5 or 14 or 23)), line => Assert.Empty(line.Levels));
    }

    [Fact]
    public void A_wide_write_to_the_line_ports_sets_each_line_from_its_own_byte_as_qemu_splits_it()
    {
        RecordingInterruptLine[] lines = Lines();
        var ports = new TestIrqLinePorts(lines);

        ports.Write(8, [1, 0, 7, 0]);

        Assert.Equal([true], lines[8].Levels);
        Assert.Equal([false], lines[9].Levels);
        Assert.Equal([true], lines[10].Levels);
        Assert.Equal([false], lines[11].Levels);
    }

    [Fact]
    public void The_line_ports_read_zero_and_drop_bytes_past_the_last_line()
    {
        RecordingInterruptLine[] lines = Lines();
        var ports = new TestIrqLinePorts(lines);

        ports.Write(23, [1, 1]);
        var back = new byte[2];
        ports.Read(22, back);

        Assert.Equal([true], lines[23].Levels);
        Assert.Equal([0, 0], back);
        var past = new byte[1];
        ports.Read(24, past);
        Assert.Equal([0xFF], past);
    }

    [Fact]
    public void The_line_ports_need_exactly_one_line_per_port()
    {
        Assert.Throws<ArgumentException>(() => new TestIrqLinePorts(new IInterruptLine[16]));
    }

    [Fact]
    public void A_32_bit_write_to_the_flush_port_names_the_page_holding_the_address()
    {
        var pages = new List<ulong>();
        var port = new TestPageFlushPort(pages.Add);

        port.Write(0, [0x34, 0x52, 0x10, 0x00]); // 0x105234

        Assert.Equal([0x105000UL], pages);
        Assert.Equal(1, port.FlushCount);
    }

    [Theory]
    [InlineData(0ul, 1)]
    [InlineData(0ul, 2)]
    [InlineData(2ul, 2)]
    [InlineData(1ul, 1)]
    public void Narrow_or_misaligned_writes_to_the_flush_port_are_ignored_as_in_qemu(ulong offset, int width)
    {
        var pages = new List<ulong>();
        var port = new TestPageFlushPort(pages.Add);

        port.Write(offset, new byte[width]);

        Assert.Empty(pages);
        var back = new byte[width];
        port.Read(offset, back);
        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public void The_memory_window_reads_back_writes_of_every_width()
    {
        var window = new TestMemoryWindow();

        window.Write(0x10, [0xEF, 0xBE, 0xAD, 0xDE]);
        window.Write(0x20, [0x34, 0x12]);
        window.Write(0x30, [0x7F]);
        window.Write(0x40, [1, 2, 3, 4, 5, 6, 7, 8]);

        Assert.Equal([0xEF, 0xBE, 0xAD, 0xDE], window.Snapshot(0x10, 4));
        Assert.Equal([0x34, 0x12], window.Snapshot(0x20, 2));
        Assert.Equal([0x7F, 0x00], window.Snapshot(0x30, 2));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], window.Snapshot(0x40, 8));
    }

    [Fact]
    public void The_memory_window_is_64_kib_and_starts_zeroed()
    {
        var window = new TestMemoryWindow();
        window.Write(0xFFFE, [0xAA, 0xBB, 0xCC, 0xDD]);

        Assert.Equal(0x10000UL, TestMemoryWindow.Length);
        Assert.Equal([0, 0, 0, 0], window.Snapshot(0x8000, 4));
        Assert.Equal([0xAA, 0xBB, 0xFF, 0xFF], window.Snapshot(0xFFFE, 4));
    }

    private static RecordingInterruptLine[] Lines() =>
        [.. Enumerable.Range(0, TestIrqLinePorts.PortCount).Select(_ => new RecordingInterruptLine())];
}
