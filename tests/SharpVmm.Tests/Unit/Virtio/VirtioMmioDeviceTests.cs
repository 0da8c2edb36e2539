using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.Tests.Unit.Virtio.Transport;
using Xunit;
using R = SharpVmm.Devices.Virtio.Mmio.VirtioMmioRegister;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioMmioDeviceTests : IDisposable
{
    private const ulong DeviceOnlyFeature = 1UL << 5;

    private readonly GuestMemory _memory = GuestMemory.CreateFlat(0x10000);
    // A device model that offers two queues (256 and 16) and records what the transport tells it.
    private readonly FakeVirtioDevice _device = new(VirtioFeatures.Common | DeviceOnlyFeature, 256, 16) { Config = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80] };
    private readonly RecordingInterruptLine _line = new();
    private readonly VirtioMmioDevice _mmio;

    public VirtioMmioDeviceTests() => _mmio = new VirtioMmioDevice(_device, _memory, _line);

    public void Dispose()
    {
        _mmio.Dispose();
        _memory.Dispose();
    }

    private uint Read32(int offset) => MmioTransportDriver.Read32(_mmio, offset);

    private void Write32(int offset, uint value) => MmioTransportDriver.Write32(_mmio, offset, value);

    private void SetStatus(VirtioDeviceStatus status) => Write32(R.Status, (uint)status);

    private const VirtioDeviceStatus AckDriver = VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver;

    private void Negotiate(ulong features)
    {
        SetStatus(AckDriver);
        Write32(R.DriverFeaturesSel, 0);
        Write32(R.DriverFeatures, (uint)features);
        Write32(R.DriverFeaturesSel, 1);
        Write32(R.DriverFeatures, (uint)(features >> 32));
        SetStatus(AckDriver | VirtioDeviceStatus.FeaturesOk);
    }

    private void ProgramQueue(uint index, uint size, ulong desc, ulong driver, ulong device)
    {
        Write32(R.QueueSel, index);
        Write32(R.QueueNum, size);
        Write32(R.QueueDescLow, (uint)desc);
        Write32(R.QueueDescHigh, (uint)(desc >> 32));
        Write32(R.QueueDriverLow, (uint)driver);
        Write32(R.QueueDriverHigh, (uint)(driver >> 32));
        Write32(R.QueueDeviceLow, (uint)device);
        Write32(R.QueueDeviceHigh, (uint)(device >> 32));
        Write32(R.QueueReady, 1);
    }

    private void BringUp()
    {
        Negotiate(VirtioFeatures.Version1);
        ProgramQueue(0, 128, 0x1000, 0x2000, 0x3000);
        SetStatus(AckDriver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk);
    }

    [Fact]
    public void Identification_registers_read_magic_version_device_and_vendor()
    {
        Assert.Equal(0x74726976u, Read32(R.MagicValue));
        Assert.Equal(2u, Read32(R.Version));
        Assert.Equal(2u, Read32(R.DeviceId));
        Assert.Equal(0x554D4551u, Read32(R.VendorId));
        Assert.Equal(0u, Read32(R.Status));
    }

    [Fact]
    public void Device_features_are_read_32_bits_at_a_time_through_the_selector()
    {
        ulong features = VirtioFeatures.Common | DeviceOnlyFeature;
        Write32(R.DeviceFeaturesSel, 0);
        Assert.Equal((uint)features, Read32(R.DeviceFeatures));
        Write32(R.DeviceFeaturesSel, 1);
        Assert.Equal(1u, Read32(R.DeviceFeatures)); // VERSION_1 is bit 32
        Write32(R.DeviceFeaturesSel, 2);
        Assert.Equal(0u, Read32(R.DeviceFeatures));
    }

    [Fact]
    public void Features_ok_sticks_when_the_driver_accepts_a_subset_including_version_1()
    {
        Negotiate(VirtioFeatures.Version1 | DeviceOnlyFeature);

        Assert.Equal(AckDriver | VirtioDeviceStatus.FeaturesOk, (VirtioDeviceStatus)Read32(R.Status));
        Assert.Equal(VirtioFeatures.Version1 | DeviceOnlyFeature, _mmio.DriverFeatures);
    }

    [Theory]
    [InlineData(0UL)] // a legacy driver: no VERSION_1
    [InlineData(1UL << 32 | 1UL << 6)] // bit 6 was not offered
    [InlineData(1UL << 32 | 1UL << 40)]
    public void Features_ok_is_refused_for_unoffered_features_or_without_version_1(ulong features)
    {
        Negotiate(features);

        Assert.Equal(AckDriver, (VirtioDeviceStatus)Read32(R.Status));

        SetStatus(AckDriver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk);
        Assert.Equal(0, (int)Read32(R.Status) & (int)(VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk));
        Assert.Empty(_device.Activations);
    }

    [Fact]
    public void Driver_features_cannot_change_after_features_ok()
    {
        Negotiate(VirtioFeatures.Version1);
        Write32(R.DriverFeaturesSel, 0);
        Write32(R.DriverFeatures, (uint)DeviceOnlyFeature);

        Assert.Equal(VirtioFeatures.Version1, _mmio.DriverFeatures);
        Assert.Equal(1, _mmio.IgnoredGuestAccesses);
    }

    [Fact]
    public void Queue_registers_program_the_selected_queue()
    {
        Write32(R.QueueSel, 1);
        Assert.Equal(16u, Read32(R.QueueNumMax));
        Write32(R.QueueSel, 0);
        Assert.Equal(256u, Read32(R.QueueNumMax));

        ProgramQueue(0, 64, 0x1_2345_6000, 0x7000, 0x8000);

        VirtQueueConfig q = _mmio.Queues[0];
        Assert.Equal(64, q.Size);
        Assert.True(q.Ready);
        Assert.Equal(0x1_2345_6000UL, q.DescriptorTable.Value);
        Assert.Equal(0x7000UL, q.DriverArea.Value);
        Assert.Equal(0x8000UL, q.DeviceArea.Value);
        Assert.Equal(1u, Read32(R.QueueReady));
        Assert.False(_mmio.Queues[1].Ready);
    }

    [Theory]
    [InlineData(512u)] // above QueueNumMax
    [InlineData(100u)] // not a power of two
    [InlineData(0u)]
    public void Queue_num_above_the_maximum_or_not_a_power_of_two_is_ignored(uint size)
    {
        Write32(R.QueueSel, 0);
        Write32(R.QueueNum, size);

        Assert.Equal(256, _mmio.Queues[0].Size);
        Assert.Equal(1, _mmio.IgnoredGuestAccesses);
    }

    [Fact]
    public void A_ready_queue_keeps_its_size_and_addresses()
    {
        ProgramQueue(0, 64, 0x1000, 0x2000, 0x3000);

        Write32(R.QueueNum, 32);
        Write32(R.QueueDescLow, 0x9000);

        Assert.Equal(64, _mmio.Queues[0].Size);
        Assert.Equal(0x1000UL, _mmio.Queues[0].DescriptorTable.Value);
        Assert.Equal(2, _mmio.IgnoredGuestAccesses);
    }

    [Fact]
    public void Driver_ok_activates_the_device_with_memory_features_and_programmed_queues()
    {
        BringUp();

        VirtioActivation activation = Assert.Single(_device.Activations);
        Assert.Same(_memory, activation.Memory);
        Assert.Equal(VirtioFeatures.Version1, activation.Features);
        Assert.Same(_mmio, activation.Interrupt);
        Assert.Equal(2, activation.Queues.Count);
        Assert.True(activation.Queues[0].Ready);
        Assert.Equal(128, activation.Queues[0].Size);
        Assert.Equal(0x3000UL, activation.Queues[0].DeviceArea.Value);
        Assert.False(activation.Queues[1].Ready);
        Assert.True(_mmio.Status.HasFlag(VirtioDeviceStatus.DriverOk));

        SetStatus(AckDriver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk);
        Assert.Single(_device.Activations); // once per reset cycle
    }

    [Fact]
    public void Queue_notify_passes_the_queue_index_to_the_device_once_it_runs()
    {
        Write32(R.QueueNotify, 0);
        Assert.Empty(_device.Notified); // not yet DRIVER_OK

        BringUp();
        Write32(R.QueueNotify, 1);
        Write32(R.QueueNotify, 0);
        Write32(R.QueueNotify, 2); // no such queue

        Assert.Equal([1, 0], _device.Notified);
        Assert.Equal(2, _mmio.IgnoredGuestAccesses);
        Assert.Equal(0xD000_0050UL, VirtioMmioDevice.NotifyAddress(0xD000_0000));
    }

    [Fact]
    public void Used_buffer_sets_bit_0_and_sends_an_edge_which_ack_clears()
    {
        BringUp();

        _mmio.SignalUsedBuffers(0);

        Assert.Equal(1u, Read32(R.InterruptStatus));
        Assert.Equal([true, false], _line.Levels);

        _mmio.SignalUsedBuffers(0);
        Assert.Equal([true, false, true, false], _line.Levels);

        Write32(R.InterruptAck, 1);
        Assert.Equal(0u, Read32(R.InterruptStatus));
    }

    [Fact]
    public void Config_change_sets_bit_1_and_moves_the_generation_on()
    {
        uint generation = Read32(R.ConfigGeneration);

        _mmio.SignalConfigChange();

        Assert.Equal(2u, Read32(R.InterruptStatus));
        Assert.NotEqual(generation, Read32(R.ConfigGeneration));
        Assert.Equal([true, false], _line.Levels);
        _mmio.SignalUsedBuffers(0);
        Write32(R.InterruptAck, 2);
        Assert.Equal(1u, Read32(R.InterruptStatus));
    }

    [Fact]
    public void Needs_reset_sets_the_status_bit_and_signals_a_config_change()
    {
        BringUp();

        _mmio.SetNeedsReset();

        Assert.True(_mmio.Status.HasFlag(VirtioDeviceStatus.DeviceNeedsReset));
        Assert.True(_mmio.Status.HasFlag(VirtioDeviceStatus.DriverOk));
        Assert.Equal(2u, Read32(R.InterruptStatus) & 2);

        // The driver cannot clear it except by a reset.
        SetStatus(AckDriver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk | VirtioDeviceStatus.Failed);
        Assert.True(_mmio.Status.HasFlag(VirtioDeviceStatus.DeviceNeedsReset));
        SetStatus(VirtioDeviceStatus.Reset);
        Assert.Equal(0u, Read32(R.Status));
    }

    [Fact]
    public void Writing_status_0_resets_the_device_and_every_queue()
    {
        BringUp();
        _mmio.SignalUsedBuffers(0);

        SetStatus(VirtioDeviceStatus.Reset);

        Assert.Equal(1, _device.Resets);
        Assert.Equal(0u, Read32(R.Status));
        Assert.Equal(0u, Read32(R.InterruptStatus));
        Assert.Equal(0UL, _mmio.DriverFeatures);
        Assert.All(_mmio.Queues, q => Assert.False(q.Ready));
        Assert.Equal(256, _mmio.Queues[0].Size);
        Assert.Equal(0UL, _mmio.Queues[0].DescriptorTable.Value);
        Write32(R.QueueNotify, 0);
        Assert.Empty(_device.Notified);

        BringUp(); // a new cycle activates again
        Assert.Equal(2, _device.Activations.Count);
    }

    [Fact]
    public void Config_space_takes_any_access_width()
    {
        Span<byte> one = stackalloc byte[1];
        _mmio.Read(R.Config + 2, one);
        Assert.Equal(0x30, one[0]);

        Span<byte> two = stackalloc byte[2];
        _mmio.Read(R.Config + 6, two);
        Assert.Equal([0x70, 0x80], two.ToArray());

        _mmio.Write(R.Config + 1, [0xAA]);
        Assert.Equal(0xAA, _device.Config[1]);

        Span<byte> eight = stackalloc byte[8];
        _mmio.Read(R.Config + 4, eight);
        Assert.Equal([0x50, 0x60, 0x70, 0x80, 0, 0, 0, 0], eight.ToArray());
    }

    [Theory]
    [InlineData(R.MagicValue, 1)]
    [InlineData(R.MagicValue, 2)]
    [InlineData(R.MagicValue, 8)]
    [InlineData(R.MagicValue + 1, 4)] // misaligned
    [InlineData(R.Version, 0)]
    public void Registers_ignore_accesses_that_are_not_aligned_32_bit(int offset, int width)
    {
        var data = new byte[width];
        Array.Fill(data, (byte)0xEE);
        _mmio.Read((ulong)offset, data);
        Assert.All(data, b => Assert.Equal(0, b));

        _mmio.Write(R.Status, new byte[width == 4 ? 2 : width]);
        Assert.Equal(2, _mmio.IgnoredGuestAccesses);
    }

    [Fact]
    public void Odd_width_status_write_does_not_reset()
    {
        BringUp();
        _mmio.Write(R.Status, [0]);
        Assert.True(_mmio.Status.HasFlag(VirtioDeviceStatus.DriverOk));
        Assert.Equal(0, _device.Resets);
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(0xFFFF_FFFFu)]
    [InlineData(0x8000_0000u)]
    public void An_out_of_range_queue_select_reads_zero_and_ignores_writes(uint index)
    {
        Write32(R.QueueSel, index);

        Assert.Equal(0u, Read32(R.QueueNumMax));
        Assert.Equal(0u, Read32(R.QueueReady));
        Write32(R.QueueNum, 8);
        Write32(R.QueueDescLow, 0x1000);
        Write32(R.QueueReady, 1);
        Assert.Equal(0u, Read32(R.QueueReady));
        Assert.Equal(3, _mmio.IgnoredGuestAccesses);
        Assert.All(_mmio.Queues, q => Assert.False(q.Ready));
    }

    [Fact]
    public void Hostile_writes_anywhere_in_the_window_do_not_throw()
    {
        BringUp();
        var values = new uint[] { 0, 1, 0xFFFF_FFFF, 0x8000_0000 };
        for (int offset = 0; offset < VirtioMmioDevice.WindowSize; offset += 4)
        {
            if (offset == R.Status)
            {
                continue;
            }

            foreach (uint v in values)
            {
                Write32(offset, v);
                _ = Read32(offset);
            }
        }

        _mmio.Write(VirtioMmioDevice.WindowSize + 8, [1, 2, 3]);
        Span<byte> big = stackalloc byte[16];
        _mmio.Read(ulong.MaxValue - 4, big);
        Assert.True(_mmio.IgnoredGuestAccesses > 0);
    }

    [Fact]
    public void Read_only_registers_ignore_writes()
    {
        Write32(R.MagicValue, 0);
        Write32(R.QueueNumMax, 1);

        Assert.Equal(VirtioMmioDevice.Magic, Read32(R.MagicValue));
        Assert.Equal(256u, Read32(R.QueueNumMax));
        Assert.Equal(2, _mmio.IgnoredGuestAccesses);
    }

    [Fact]
    public void Shared_memory_regions_read_as_absent()
    {
        Assert.Equal(uint.MaxValue, Read32(R.ShmLenLow));
        Assert.Equal(uint.MaxValue, Read32(R.ShmBaseHigh));
    }

    [Fact]
    public void Dispose_disposes_the_device()
    {
        _mmio.Dispose();
        Assert.True(_device.Disposed);
    }

    [Fact]
    public void The_command_line_announcement_is_what_linux_parses()
    {
        Assert.Equal("virtio_mmio.device=4K@0xd0000000:5", VirtioMmioDevice.KernelCommandLineArgument(0xD000_0000, 5));
        Assert.Equal("virtio_mmio.device=4K@0xd0001000:6",
            VirtioMmioDevice.KernelCommandLineArgument(VirtioMmioLayout.BaseOf(1), VirtioMmioLayout.IrqOf(1)));
    }

    [Fact]
    public void The_layout_places_seven_devices_on_the_free_isa_irqs()
    {
        Assert.Equal(0xD000_6000UL, VirtioMmioLayout.BaseOf(6));
        Assert.Equal([5, 6, 7, 10, 11, 14, 15], VirtioMmioLayout.Irqs.ToArray());
        Assert.Equal(VirtioMmioLayout.MaxDevices, VirtioMmioLayout.Irqs.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => VirtioMmioLayout.BaseOf(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => VirtioMmioLayout.IrqOf(-1));
    }
}
