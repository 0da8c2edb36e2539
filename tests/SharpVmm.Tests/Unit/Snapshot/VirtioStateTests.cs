using System.Buffers.Binary;
using SharpVmm.Devices;
using SharpVmm.Devices.Pci;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Tests.Support;
using SharpVmm.Tests.Unit.Pci;
using Xunit;
using L = SharpVmm.Devices.Virtio.Pci.VirtioPciLayout;
using R = SharpVmm.Devices.Virtio.Mmio.VirtioMmioRegister;

namespace SharpVmm.Tests.Unit.Snapshot;

[Tier(TestTiers.Unit)]
public sealed class VirtioStateTests : IDisposable
{
    private const ushort QueueSize = 16;
    private const ulong Bar0Address = 0xC000_0000, Bar1Address = 0xC001_0000;
    private readonly VirtQueueBuilder _ring = new(QueueSize);
    private readonly List<IDisposable> _devices = [];

    public void Dispose()
    {
        foreach (IDisposable device in _devices)
        {
            device.Dispose();
        }

        _ring.Dispose();
    }

    private VirtioEntropyDevice NewEntropy()
    {
        var device = new VirtioEntropyDevice(queueSize: QueueSize);
        _devices.Add(device);
        return device;
    }

    private void BringUpMmio(VirtioMmioDevice mmio)
    {
        mmio.Out32((ulong)R.Status, 0x03);
        mmio.Out32((ulong)R.DriverFeaturesSel, 1);
        mmio.Out32((ulong)R.DriverFeatures, (uint)(VirtioFeatures.Version1 >> 32));
        mmio.Out32((ulong)R.Status, 0x0B);
        mmio.Out32((ulong)R.QueueSel, 0);
        mmio.Out32((ulong)R.QueueNum, QueueSize);
        mmio.Out32((ulong)R.QueueDescLow, (uint)_ring.Config.DescriptorTable.Value);
        mmio.Out32((ulong)R.QueueDriverLow, (uint)_ring.Config.DriverArea.Value);
        mmio.Out32((ulong)R.QueueDeviceLow, (uint)_ring.Config.DeviceArea.Value);
        mmio.Out32((ulong)R.QueueReady, 1);
        mmio.Out32((ulong)R.Status, 0x0F);
    }

    // Adds a chain, kicks through notify, and waits until the device has used it; returns its head.
    private ushort Consume(Action notify)
    {
        ushort before = _ring.UsedIdx;
        BuiltChain chain = _ring.AddChain(ChainBuffer.Out(8));
        notify();
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _ring.UsedIdx != before), "the device did not use the chain");
        return chain.Head;
    }

    [Fact]
    public void A_virtqueue_recreated_from_its_state_pops_the_next_chain_and_continues_used_idx()
    {
        VirtQueue queue = _ring.CreateQueue();
        _ring.AddChain(ChainBuffer.Out(4));
        Assert.True(queue.TryPop(out DescriptorChain first));
        queue.AddUsed(first, 4);
        BuiltChain second = _ring.AddChain(ChainBuffer.Out(4));

        VirtQueue restored = VirtQueue.FromState(_ring.Memory, _ring.Config, VirtioFeatures.Common, queue.SaveState());

        Assert.True(restored.TryPop(out DescriptorChain next));
        Assert.Equal(second.Head, next.HeadIndex);
        restored.AddUsed(next, 4);
        Assert.Equal(2, _ring.UsedIdx);
        Assert.Throws<DeviceStateException>(() =>
            VirtQueue.FromState(_ring.Memory, _ring.Config, VirtioFeatures.Common, new VirtQueueState { LastAvailIndex = 40, UsedIndex = 0 }));
    }

    [Fact]
    public void A_virtio_mmio_device_restored_while_running_processes_the_next_chain_at_the_next_ring_position()
    {
        VirtioEntropyDevice device = NewEntropy();
        var mmio = new VirtioMmioDevice(device, _ring.Memory, new RecordingInterruptLine());
        BringUpMmio(mmio);
        for (int i = 0; i < 3; i++)
        {
            Consume(() => mmio.Out32((ulong)R.QueueNotify, 0));
        }

        device.Pause();
        VirtioMmioState state = mmio.SaveState();
        Assert.Equal(3, state.Transport.Queues[0].Ring!.UsedIndex);
        Assert.Equal(3, state.Transport.Queues[0].Ring!.LastAvailIndex);

        VirtioEntropyDevice restoredDevice = NewEntropy();
        var restored = new VirtioMmioDevice(restoredDevice, _ring.Memory, new RecordingInterruptLine());
        restored.RestoreState(state);

        Assert.True(restored.IsActivated);
        Assert.Equal(0x0Fu, restored.In32((ulong)R.Status));
        Assert.Equal(1u, restored.In32((ulong)R.QueueReady));
        Assert.Equal(mmio.InterruptStatus, restored.InterruptStatus);
        ushort head = Consume(() => restored.Out32((ulong)R.QueueNotify, 0));
        Assert.Equal(4, _ring.UsedIdx);
        Assert.Equal(head, _ring.Used(3).Id);
        Assert.Equal(8u, _ring.Used(3).Length);
    }

    [Fact]
    public void A_virtio_mmio_device_refuses_an_invalid_state_and_stays_reset()
    {
        VirtioEntropyDevice device = NewEntropy();
        var mmio = new VirtioMmioDevice(device, _ring.Memory, new RecordingInterruptLine());
        BringUpMmio(mmio);
        Consume(() => mmio.Out32((ulong)R.QueueNotify, 0));
        device.Pause();
        VirtioMmioState state = mmio.SaveState();
        state.Transport.Queues[0].Ring!.LastAvailIndex = 200; // 199 chains in flight in a queue of 16

        var fresh = new VirtioMmioDevice(NewEntropy(), _ring.Memory, new RecordingInterruptLine());
        var ex = Assert.Throws<DeviceStateException>(() => fresh.RestoreState(state));

        Assert.Contains("Queues[0].Ring", ex.Message, StringComparison.Ordinal);
        Assert.False(fresh.IsActivated);
        Assert.Equal(0u, fresh.In32((ulong)R.Status));
        Assert.Equal(0u, fresh.InterruptStatus);
        state.Transport.Queues[0].Ring!.LastAvailIndex = 1;
        state.Transport.Queues[0].Size = 12;
        Assert.Throws<DeviceStateException>(() => fresh.RestoreState(state));
        Assert.Equal(QueueSize, fresh.Queues[0].Size);
        Assert.False(fresh.Queues[0].Ready);
    }

    private static void Common(VirtioPciDevice pci, uint offset, int width, ulong value)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        pci.Bars[0].Region.Write(L.CommonConfigOffset + offset, data[..width]);
    }

    private static int MsixCapability(VirtioPciDevice pci)
    {
        Span<byte> b = [0];
        pci.ReadConfig(PciConfigSpace.CapabilitiesPointerOffset, b);
        int at = b[0];
        while (true)
        {
            pci.ReadConfig(at, b);
            if (b[0] == MsixVectors.CapabilityId)
            {
                return at;
            }

            pci.ReadConfig(at + 1, b);
            at = b[0];
        }
    }

    private void BringUpPci(VirtioPciDevice pci)
    {
        Span<byte> dword = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(dword, (uint)Bar0Address);
        pci.WriteConfig(PciConfigSpace.Bar0Offset, dword);
        BinaryPrimitives.WriteUInt32LittleEndian(dword, (uint)Bar1Address);
        pci.WriteConfig(PciConfigSpace.Bar0Offset + 4, dword);
        pci.WriteConfig(PciConfigSpace.CommandOffset, [(byte)(PciConfigSpace.CommandMemorySpace | PciConfigSpace.CommandBusMaster), 0]);
        pci.WriteConfig(MsixCapability(pci) + 3, [0x80]); // MSI-X Enable
        Span<byte> entry = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, 0xFEE0_1000);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], 0x31);
        pci.Bars[1].Region.Write(L.MsixTableOffset, entry); // vector 0, unmasked

        Common(pci, 0x14, 1, 0x03);
        Common(pci, 0x08, 4, 1);
        Common(pci, 0x0C, 4, VirtioFeatures.Version1 >> 32);
        Common(pci, 0x14, 1, 0x0B);
        Common(pci, 0x16, 2, 0);
        Common(pci, 0x18, 2, QueueSize);
        Common(pci, 0x1A, 2, 0); // queue_msix_vector 0
        Common(pci, 0x20, 8, _ring.Config.DescriptorTable.Value);
        Common(pci, 0x28, 8, _ring.Config.DriverArea.Value);
        Common(pci, 0x30, 8, _ring.Config.DeviceArea.Value);
        Common(pci, 0x1C, 2, 1);
        Common(pci, 0x14, 1, 0x0F);
    }

    private static void PciNotify(VirtioPciDevice pci) => pci.Bars[0].Region.Write(L.NotifyOffset, [0, 0]);

    [Fact]
    public void A_virtio_pci_device_restored_while_running_places_its_bars_and_signals_its_msix_vector_at_the_next_ring_position()
    {
        VirtioEntropyDevice device = NewEntropy();
        var pci = new VirtioPciDevice(device, _ring.Memory, new RecordingMsiSink(), new RecordingInterruptLine());
        BringUpPci(pci);
        Consume(() => PciNotify(pci));
        Consume(() => PciNotify(pci));
        device.Pause();
        VirtioPciState state = pci.SaveState();

        var sink = new RecordingMsiSink();
        var restored = new VirtioPciDevice(NewEntropy(), _ring.Memory, sink, new RecordingInterruptLine());
        var relocated = new List<(int Bar, ulong Address)>();
        var notifyMoves = new List<ulong>();
        restored.BarRelocated += (bar, _, address) => relocated.Add((bar, address));
        restored.NotifyRegionMoved += (_, address) => notifyMoves.Add(address);
        restored.RestoreState(state);

        Assert.Equal([(0, Bar0Address), (1, Bar1Address)], relocated);
        Assert.Equal([Bar0Address + L.NotifyOffset], notifyMoves);
        Assert.Equal(Bar0Address + L.NotifyOffset, restored.NotifyAddress(0));
        Assert.True(restored.Msix.Enabled);
        Assert.True(restored.IsActivated);
        Assert.Equal(VirtioDeviceStatus.DriverOk, restored.Status & VirtioDeviceStatus.DriverOk);
        ushort head = Consume(() => PciNotify(restored));
        Assert.Equal(3, _ring.UsedIdx);
        Assert.Equal(head, _ring.Used(2).Id);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => sink.Messages.Count > 0));
        Assert.Equal(new MsiMessage(0xFEE0_1000, 0x31), sink.Messages[0]);
    }

    [Fact]
    public void A_virtio_pci_device_refuses_a_queue_vector_beyond_its_table_and_stays_as_built()
    {
        VirtioEntropyDevice device = NewEntropy();
        var pci = new VirtioPciDevice(device, _ring.Memory, new RecordingMsiSink(), new RecordingInterruptLine());
        BringUpPci(pci);
        device.Pause();
        VirtioPciState state = pci.SaveState();
        state.Transport.Queues[0].MsixVector = 9;

        var fresh = new VirtioPciDevice(NewEntropy(), _ring.Memory, new RecordingMsiSink(), new RecordingInterruptLine());
        int relocations = 0;
        fresh.BarRelocated += (_, _, _) => relocations++;
        Assert.Throws<DeviceStateException>(() => fresh.RestoreState(state));

        Assert.Equal(0, relocations);
        Assert.Equal(0UL, fresh.NotifyAddress(0));
        Assert.False(fresh.Msix.Enabled);
        Assert.False(fresh.IsActivated);
    }

    [Fact]
    public void A_virtio_console_restored_from_its_state_keeps_the_input_the_guest_has_not_received()
    {
        var console = new VirtioConsoleDevice(Stream.Null);
        _devices.Add(console);
        console.EnqueueInput("hello"u8);
        var restored = new VirtioConsoleDevice(Stream.Null);
        _devices.Add(restored);

        restored.RestoreState(console.SaveState());

        Assert.Equal("hello"u8.ToArray(), restored.SaveState().PendingInput);
        Assert.Throws<DeviceStateException>(() =>
            restored.RestoreState(new VirtioConsoleState { PendingInput = new byte[VirtioConsoleDevice.InputBufferSize + 1] }));
        Assert.Equal("hello"u8.ToArray(), restored.SaveState().PendingInput);
    }
}
