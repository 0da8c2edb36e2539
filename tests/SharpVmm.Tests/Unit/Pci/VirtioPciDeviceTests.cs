using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Pci;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Pci;

[Tier(TestTiers.Unit)]
public sealed class VirtioPciDeviceTests : IDisposable
{
    // Common configuration offsets (virtio 1.2, 4.1.4.3).
    private const ulong DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0C;
    private const ulong MsixConfig = 0x10, NumQueues = 0x12, Status = 0x14, Generation = 0x15, QueueSelect = 0x16;
    private const ulong QueueSize = 0x18, QueueMsix = 0x1A, QueueEnable = 0x1C, QueueNotifyOff = 0x1E, QueueDesc = 0x20;
    private const ulong QueueDriver = 0x28, QueueDevice = 0x30;
    private const ulong Offered = VirtioFeatures.Common | (1UL << 5);

    private readonly GuestMemory _memory = GuestMemory.CreateFlat(1 << 20);
    private readonly FakeVirtioDevice _fake = new(Offered, 256, 128);
    private readonly RecordingMsiSink _sink = new();
    private readonly RecordingInterruptLine _line = new();
    private readonly VirtioPciDevice _pci;

    public VirtioPciDeviceTests() => _pci = new VirtioPciDevice(_fake, _memory, _sink, _line);

    public void Dispose() => _memory.Dispose();

    private IBusDevice Bar0 => _pci.Bars[0].Region;

    private IBusDevice Bar1 => _pci.Bars[1].Region;

    private ulong Read(ulong offset, int size)
    {
        Span<byte> data = stackalloc byte[8];
        Bar0.Read(offset, data[..size]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    private void Write(ulong offset, int size, ulong value) => Bar0.Write(offset, BitConverter.GetBytes(value).AsSpan(0, size));

    private uint ReadConfig(int offset)
    {
        Span<byte> data = stackalloc byte[4];
        _pci.ReadConfig(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private void Negotiate(ulong features)
    {
        Write(Status, 1, 1);
        Write(Status, 1, 3);
        Write(DriverFeatureSelect, 4, 0);
        Write(DriverFeature, 4, (uint)features);
        Write(DriverFeatureSelect, 4, 1);
        Write(DriverFeature, 4, features >> 32);
        Write(Status, 1, 3 | 8);
    }

    private void ProgramQueue(ushort queue, ushort size)
    {
        Write(QueueSelect, 2, queue);
        Write(QueueSize, 2, size);
        Write(QueueDesc, 4, 0x1000 + (queue * 0x1000UL));
        Write(QueueDesc + 4, 4, 0);
        Write(QueueDriver, 8, 0x2000 + (queue * 0x1000UL));
        Write(QueueDevice, 8, 0x3000 + (queue * 0x1000UL));
        Write(QueueEnable, 2, 1);
    }

    private void EnableMsix()
    {
        int cap = FindCapabilities().First(c => c.Id == MsixVectors.CapabilityId).Offset;
        _pci.WriteConfig(cap + 2, BitConverter.GetBytes(MsixVectors.ControlEnable));
    }

    private List<(int Offset, uint Id, uint Type)> FindCapabilities()
    {
        var caps = new List<(int, uint, uint)>();
        int pointer = (int)(ReadConfig(0x34) & 0xFF);
        while (pointer != 0)
        {
            uint header = ReadConfig(pointer);
            caps.Add((pointer, header & 0xFF, (header >> 24) & 0xFF));
            pointer = (int)((header >> 8) & 0xFC);
        }

        return caps;
    }

    [Fact]
    public void Pci_identity_follows_the_virtio_spec()
    {
        Assert.Equal(0x1042_1AF4u, ReadConfig(0));
        Assert.Equal(0x0100_0001u, ReadConfig(8)); // class 01/00/00, revision 1
        Assert.Equal(0x0040_1AF4u, ReadConfig(0x2C));
        Assert.Equal(1u, (ReadConfig(0x3C) >> 8) & 0xFF); // INTA
    }

    [Fact]
    public void Capabilities_describe_every_structure()
    {
        var caps = FindCapabilities();
        Assert.Contains(caps, c => c.Id == MsixVectors.CapabilityId);
        var virtio = caps.Where(c => c.Id == 0x09).ToDictionary(c => c.Type, c => c.Offset);
        Assert.Equal([1u, 2u, 3u, 4u, 5u], virtio.Keys.Order());
        int notify = virtio[2];
        Assert.Equal(20u, (ReadConfig(notify) >> 16) & 0xFF); // cap_len
        Assert.Equal(0x3000u, ReadConfig(notify + 8));
        Assert.Equal(8u, ReadConfig(notify + 12)); // 2 queues * 4
        Assert.Equal(4u, ReadConfig(notify + 16)); // notify_off_multiplier
        Assert.Equal(0x2000u, ReadConfig(virtio[4] + 8));
        Assert.Equal(8u, ReadConfig(virtio[4] + 12));
    }

    [Fact]
    public void Device_features_read_through_two_windows_and_num_queues()
    {
        Write(DeviceFeatureSelect, 4, 0);
        Assert.Equal(Offered & 0xFFFF_FFFF, Read(DeviceFeature, 4));
        Write(DeviceFeatureSelect, 4, 1);
        Assert.Equal(Offered >> 32, Read(DeviceFeature, 4));
        Write(DeviceFeatureSelect, 4, 7);
        Assert.Equal(0UL, Read(DeviceFeature, 4));
        Assert.Equal(2UL, Read(NumQueues, 2));
    }

    [Fact]
    public void Features_ok_is_accepted_for_a_subset_with_version_1()
    {
        Negotiate(VirtioFeatures.Version1 | (1UL << 5));
        Assert.Equal(0x0BUL, Read(Status, 1));
        Assert.Equal(VirtioFeatures.Version1 | (1UL << 5), _pci.DriverFeatures);

        Write(DriverFeatureSelect, 4, 0);
        Write(DriverFeature, 4, 0); // locked after FEATURES_OK
        Assert.Equal(VirtioFeatures.Version1 | (1UL << 5), _pci.DriverFeatures);
    }

    [Theory]
    [InlineData(1UL << 5)]                          // VERSION_1 left out
    [InlineData(VirtioFeatures.Version1 | (1UL << 6))] // not offered
    public void Features_ok_is_refused(ulong features)
    {
        Negotiate(features);
        Assert.Equal(0x03UL, Read(Status, 1));
        Write(Status, 1, 0x0F); // DRIVER_OK without FEATURES_OK: refused too
        Assert.Empty(_fake.Activations);
        Assert.False(_pci.IsActivated);
    }

    [Fact]
    public void Queue_programming_lands_in_the_queue_config()
    {
        Write(QueueSelect, 2, 1);
        Assert.Equal(128UL, Read(QueueSize, 2));
        Assert.Equal(1UL, Read(QueueNotifyOff, 2));
        ProgramQueue(1, 64);

        VirtQueueConfig q = _pci.Queues[1];
        Assert.Equal(64, q.Size);
        Assert.True(q.Ready);
        Assert.Equal(0x2000UL, q.DescriptorTable.Value);
        Assert.Equal(0x3000UL, q.DriverArea.Value);
        Assert.Equal(0x4000UL, q.DeviceArea.Value);
        Assert.Equal(0x2000UL, Read(QueueDesc, 8));
        Assert.Equal(1UL, Read(QueueEnable, 2));

        Write(QueueDesc, 8, 0x9000); // ignored once enabled
        Assert.Equal(0x2000UL, q.DescriptorTable.Value);
    }

    [Fact]
    public void Hostile_queue_values_are_ignored()
    {
        Write(QueueSelect, 2, 0);
        Write(QueueSize, 2, 100); // not a power of two
        Assert.Equal(256UL, Read(QueueSize, 2));
        Write(QueueSize, 2, 512); // above the maximum
        Assert.Equal(256UL, Read(QueueSize, 2));
        Write(QueueSize, 2, 0);
        Assert.Equal(256UL, Read(QueueSize, 2));
        Write(QueueMsix, 2, 77); // no such vector
        Assert.Equal(0xFFFFUL, Read(QueueMsix, 2));

        Write(QueueSelect, 2, 9); // no such queue
        Assert.Equal(0UL, Read(QueueSize, 2));
        Write(QueueSize, 2, 16);
        Write(QueueEnable, 2, 1);
        Write(QueueDesc, 8, 0x5000);
        Assert.Equal(0UL, Read(QueueDesc, 8));
        Assert.All(_pci.Queues, q => Assert.False(q.Ready));
        Assert.True(_pci.IgnoredAccesses >= 5);
    }

    [Fact]
    public void Odd_sizes_and_offsets_never_throw()
    {
        byte[] buffer = new byte[8];
        for (ulong offset = 0; offset < 0x40; offset++)
        {
            foreach (int size in new[] { 1, 2, 3, 4, 8 })
            {
                Bar0.Read(offset, buffer.AsSpan(0, size));
            }
        }

        Write(0x13, 3, 0xFFFFFF); // across num_queues and status
        Bar0.Write(0x0FFF, [1, 2, 3, 4, 5]);
        Bar0.Write(0x2007, [1, 2, 3]); // runs past the device config
        Bar0.Write(0x3002, [1]);       // not on a queue's register
        Bar0.Write(0x3FFC, [1, 0, 0, 0]);
        Bar1.Write(0x0FFE, [1, 2, 3, 4]);
        Span<byte> big = stackalloc byte[16];
        Bar1.Read(0x7FC, big);
        _pci.ReadConfig(0xFE, big);
        _pci.WriteConfig(0xFE, big);
        Assert.Empty(_fake.Notified);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 1 }, _fake.Config); // only 1 byte fit
    }

    [Fact]
    public void Device_config_goes_to_the_device()
    {
        Assert.Equal(0x0403_0201UL, Read(0x2000, 4));
        Write(0x2002, 2, 0xBBAA);
        Assert.Equal(new byte[] { 1, 2, 0xAA, 0xBB, 5, 6, 7, 8 }, _fake.Config);
        Assert.Equal(0UL, Read(0x2008, 4));
    }

    [Fact]
    public void Driver_ok_activates_the_device_with_memory_features_and_queues()
    {
        Negotiate(VirtioFeatures.Version1);
        ProgramQueue(0, 256);
        Write(Status, 1, 0x0F);

        VirtioActivation activation = Assert.Single(_fake.Activations);
        Assert.Same(_memory, activation.Memory);
        Assert.Equal(VirtioFeatures.Version1, activation.Features);
        Assert.Same(_pci, activation.Interrupt);
        Assert.Equal(2, activation.Queues.Count);
        Assert.True(activation.Queues[0].Ready);
        Write(Status, 1, 0x0F); // again: no second activation
        Assert.Single(_fake.Activations);
    }

    [Fact]
    public void Notify_writes_reach_the_device_only_for_real_queues_after_driver_ok()
    {
        Write(0x3000, 2, 0);
        Assert.Empty(_fake.Notified); // not activated yet
        Negotiate(VirtioFeatures.Version1);
        Write(Status, 1, 0x0F);

        Write(0x3004, 2, 1);
        Write(0x3000, 4, 0);
        Write(0x3008, 2, 2); // queue 2 does not exist
        Assert.Equal([1, 0], _fake.Notified);
    }

    [Fact]
    public void Reset_clears_status_features_and_queues_and_resets_the_device()
    {
        Negotiate(VirtioFeatures.Version1);
        ProgramQueue(0, 128);
        Write(Status, 1, 0x0F);
        _pci.SignalUsedBuffers(0);
        Assert.True(_line.IsHigh);

        Write(Status, 1, 0);

        Assert.Equal(1, _fake.Resets);
        Assert.Equal(0UL, Read(Status, 1));
        Assert.Equal(0UL, _pci.DriverFeatures);
        Assert.False(_pci.IsActivated);
        Assert.False(_pci.Queues[0].Ready);
        Assert.Equal(256, _pci.Queues[0].Size);
        Assert.Equal(0UL, _pci.Queues[0].DescriptorTable.Value);
        Assert.False(_line.IsHigh);
    }

    [Fact]
    public void Isr_is_read_to_clear_and_drives_intx()
    {
        _pci.SignalUsedBuffers(1);
        Assert.True(_line.IsHigh);
        _pci.SignalConfigChange();
        Assert.Equal(1UL, Read(Generation, 1));

        Assert.Equal(3UL, Read(0x1000, 1));
        Assert.False(_line.IsHigh);
        Assert.Equal(0UL, Read(0x1000, 1));
        Assert.Equal([true, false], _line.Levels);

        _pci.SignalUsedBuffers(5); // no such queue
        Assert.Equal(0, _pci.IsrStatus);
    }

    [Fact]
    public void Interrupt_disable_in_the_command_register_holds_intx_low()
    {
        _pci.WriteConfig(4, [0x00, 0x04]);
        _pci.SignalUsedBuffers(0);
        Assert.False(_line.IsHigh);
        _pci.WriteConfig(4, [0x00, 0x00]);
        Assert.True(_line.IsHigh);
    }

    [Fact]
    public void With_msix_each_queue_signals_its_vector_and_config_changes_the_config_vector()
    {
        EnableMsix();
        for (int v = 0; v < 3; v++)
        {
            Bar1.Write((ulong)v * 16, BitConverter.GetBytes(0xFEE0_0000UL));
            Bar1.Write(((ulong)v * 16) + 8, BitConverter.GetBytes(0x40u + (uint)v));
            Bar1.Write(((ulong)v * 16) + 12, BitConverter.GetBytes(0u));
        }

        Write(MsixConfig, 2, 2);
        Write(QueueSelect, 2, 0);
        Write(QueueMsix, 2, 1);
        Write(QueueSelect, 2, 1); // queue 1 keeps NO_VECTOR

        _pci.SignalUsedBuffers(0);
        _pci.SignalUsedBuffers(1);
        _pci.SignalConfigChange();

        Assert.Equal([0x41u, 0x42u], _sink.Messages.Select(m => m.Data));
        Assert.Empty(_line.Levels);
        Assert.Equal(0, _pci.IsrStatus);
    }

    [Fact]
    public void Needs_reset_is_sticky_and_notifies_after_driver_ok()
    {
        Negotiate(VirtioFeatures.Version1);
        Write(Status, 1, 0x0F);
        _pci.SetNeedsReset();
        Assert.Equal(0x4FUL, Read(Status, 1));
        Assert.True(_line.IsHigh);
        Write(Status, 1, 0x0F);
        Assert.Equal(0x4FUL, Read(Status, 1));
        Write(Status, 1, 0);
        Assert.Equal(0UL, Read(Status, 1));
    }

    [Fact]
    public void Pci_cfg_capability_reaches_bar_registers()
    {
        int cap = FindCapabilities().First(c => c.Id == 0x09 && c.Type == 5).Offset;
        _pci.WriteConfig(cap + 4, [0]);                          // bar 0
        _pci.WriteConfig(cap + 8, BitConverter.GetBytes(0x12u)); // num_queues
        _pci.WriteConfig(cap + 12, BitConverter.GetBytes(2u));
        Assert.Equal(2u, ReadConfig(cap + 16) & 0xFFFF);

        _pci.WriteConfig(cap + 8, BitConverter.GetBytes(0x16u)); // queue_select
        _pci.WriteConfig(cap + 16, BitConverter.GetBytes(1u));
        Assert.Equal(1UL, Read(QueueSelect, 2));

        _pci.WriteConfig(cap + 12, BitConverter.GetBytes(3u)); // bad length: ignored
        Assert.Equal(0u, ReadConfig(cap + 16) & 0xFF00_0000);
    }

    [Fact]
    public void Notify_addresses_follow_bar_0()
    {
        var mmio = new MmioBus();
        var bus = new PciBus(mmio);
        var moves = new List<(ulong, ulong)>();
        _pci.NotifyRegionMoved += (o, n) => moves.Add((o, n));
        bus.Add(1, _pci);

        ulong bar0 = _pci.NotifyAddress(0) - 0x3000;
        Assert.Equal(PciLayout.MmioWindowBase, bar0 & 0xF000_0000);
        Assert.Equal(bar0 + 0x3004, _pci.NotifyAddress(1));
        Assert.Equal(0UL, _pci.NotifyAddress(2));
        Assert.Equal((0UL, bar0 + 0x3000), moves[^1]);

        _pci.WriteConfig(0x10, BitConverter.GetBytes(0xC100_0000u));
        Assert.Equal(0xC100_3004UL, _pci.NotifyAddress(1));
        Assert.Equal((bar0 + 0x3000, 0xC100_3000UL), moves[^1]);
        Assert.IsType<IBusDevice>(mmio.Find(0xC100_3000)!.Device, exactMatch: false);
    }
}
