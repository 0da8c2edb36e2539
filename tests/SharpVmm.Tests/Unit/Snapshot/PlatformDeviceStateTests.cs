using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices;
using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Firmware;
using SharpVmm.Devices.Pci;
using SharpVmm.Tests.Support;
using SharpVmm.Tests.Unit.Pci;
using Xunit;

namespace SharpVmm.Tests.Unit.Snapshot;

[Tier(TestTiers.Unit)]
public sealed class PlatformDeviceStateTests
{
    [Fact]
    public void A_pm1_event_block_restored_from_its_state_reads_the_same_and_raises_the_sci_again()
    {
        var events = new AcpiPm1EventBlock(new RecordingInterruptLine());
        events.Out16(AcpiPm1EventBlock.EnableOffset, AcpiPm1EventBlock.PowerButtonEnable);
        events.PressPowerButton();

        var sci = new RecordingInterruptLine();
        var restored = new AcpiPm1EventBlock(sci);
        restored.RestoreState(events.SaveState());

        Assert.True(sci.IsHigh);
        Assert.Equal(AcpiPm1EventBlock.PowerButtonStatus, restored.In16(AcpiPm1EventBlock.StatusOffset));
        Assert.Equal(AcpiPm1EventBlock.PowerButtonEnable, restored.In16(AcpiPm1EventBlock.EnableOffset));
    }

    [Fact]
    public void A_pm1_event_block_refuses_undefined_status_bits_and_stays_as_it_was()
    {
        var events = new AcpiPm1EventBlock(new RecordingInterruptLine());
        events.Out16(AcpiPm1EventBlock.EnableOffset, AcpiPm1EventBlock.RtcEnable);

        Assert.Throws<DeviceStateException>(() => events.RestoreState(new AcpiPm1EventState { Status = 1 << 3, Enable = 0 }));

        Assert.Equal(AcpiPm1EventBlock.RtcEnable, events.Enable);
    }

    [Fact]
    public void A_pm1_control_block_restored_from_its_state_keeps_its_sleep_type_and_refuses_slp_en()
    {
        var control = new AcpiPm1ControlBlock(5, () => { });
        control.Out16(0, 3 << AcpiPm1ControlBlock.SleepTypeShift);
        var restored = new AcpiPm1ControlBlock(5, () => { });
        restored.RestoreState(control.SaveState());

        Assert.Equal(control.Value, restored.Value);
        Assert.Throws<DeviceStateException>(() => restored.RestoreState(new AcpiPm1ControlState { Value = AcpiPm1ControlBlock.SleepEnable }));
        Assert.Equal(control.Value, restored.Value);
    }

    [Fact]
    public void A_pm_timer_restored_from_its_state_counts_on_from_where_it_was()
    {
        var clock = new FakeTimeProvider();
        var timer = new AcpiPmTimer(clock);
        clock.Advance(TimeSpan.FromSeconds(3)); // 3 * 3579545 ticks: wrapped, and well past 2^24
        AcpiPmTimerState state = timer.SaveState();

        var laterClock = new FakeTimeProvider();
        laterClock.Advance(TimeSpan.FromHours(5));
        var restored = new AcpiPmTimer(laterClock);
        restored.RestoreState(state);

        Assert.Equal(3 * (ulong)AcpiPmTimer.Frequency, state.ElapsedTicks);
        Assert.Equal(timer.Value, restored.Value);
        laterClock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((timer.Value + 3579) & AcpiPmTimer.CounterMask, restored.Value); // 3.579545 ticks per microsecond
        Assert.Throws<DeviceStateException>(() => restored.RestoreState(new AcpiPmTimerState { ElapsedTicks = ulong.MaxValue }));
    }

    [Fact]
    public void A_fw_cfg_device_restored_from_its_state_goes_on_reading_the_selected_item()
    {
        static FwCfgDevice Build() => new FwCfgDevice().AddFile("etc/test", [1, 2, 3, 4, 5]);
        FwCfgDevice fwCfg = Build();
        ushort selector = fwCfg.Files[0].Selector;
        fwCfg.Out16(FwCfgDevice.SelectorOffset, selector);
        Span<byte> b = [0];
        fwCfg.Read(FwCfgDevice.DataOffset, b);
        fwCfg.Read(FwCfgDevice.DataOffset, b);

        FwCfgDevice restored = Build();
        restored.RestoreState(fwCfg.SaveState());

        Assert.Equal(selector, restored.Selector);
        restored.Read(FwCfgDevice.DataOffset, b);
        Assert.Equal(3, b[0]);
    }

    [Fact]
    public void A_fw_cfg_device_refuses_an_offset_past_its_item_and_stays_as_it_was()
    {
        FwCfgDevice fwCfg = new FwCfgDevice().AddFile("etc/test", [1, 2]);
        fwCfg.Out16(FwCfgDevice.SelectorOffset, FwCfgKey.Signature);

        Assert.Throws<DeviceStateException>(() => fwCfg.RestoreState(new FwCfgState { Selector = fwCfg.Files[0].Selector, Offset = 3 }));

        Assert.Equal(FwCfgKey.Signature, fwCfg.Selector);
    }

    [Fact]
    public void A_pci_host_bridge_restored_from_its_state_keeps_the_config_address_latch_and_the_command_register()
    {
        var bridge = new PciHostBridge(new PciBus(new MmioBus()));
        bridge.Out32(0, PciHostBridge.EnableBit | PciConfigSpace.CommandOffset);
        bridge.Out16(4, PciConfigSpace.CommandBusMaster);
        PciHostBridgeState state = bridge.SaveState();

        var restored = new PciHostBridge(new PciBus(new MmioBus()));
        restored.RestoreState(state);

        Assert.Equal(PciHostBridge.EnableBit | PciConfigSpace.CommandOffset, restored.In32(0));
        Assert.Equal(PciConfigSpace.CommandBusMaster, restored.In16(4));
    }

    [Fact]
    public void A_pci_config_space_refuses_a_state_of_another_device_and_stays_as_it_was()
    {
        var bridge = new PciHostBridge(new PciBus(new MmioBus()));
        bridge.Out32(0, PciHostBridge.EnableBit);
        PciHostBridgeState bad = bridge.SaveState();
        bad.HostBridgeFunction.Data[PciConfigSpace.DeviceIdOffset] ^= 0xFF;

        var ex = Assert.Throws<DeviceStateException>(() => new PciHostBridge(new PciBus(new MmioBus())).RestoreState(bad));

        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Msix_vectors_restored_from_their_state_keep_entries_and_pending_bits_and_send_on_unmask()
    {
        var msix = new MsixVectors(4, new RecordingMsiSink());
        var config = new PciConfigSpace(0x1AF4, 0x1041, 0x020000);
        config.AddMemoryBar(1, 0x1000);
        int cap = msix.AddCapability(config, 1, 0, 1, 0x800);
        config.Write(cap + 3, [0x80]); // MSI-X Enable
        msix.UpdateFromConfig(config);
        Span<byte> entry = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, 0xFEE0_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], 0x41);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], MsixVectors.VectorControlMask);
        msix.WriteTable(2 * 16, entry);
        msix.Signal(2); // masked: pending

        var sink = new RecordingMsiSink();
        var restored = new MsixVectors(4, sink);
        int changes = 0;
        restored.VectorChanged += v => changes += v == -1 ? 1 : 0;
        restored.RestoreState(msix.SaveState(), "test");

        Assert.True(restored.Enabled);
        Assert.True(restored.IsPending(2));
        Assert.Equal(new MsiMessage(0xFEE0_0000, 0x41), restored.Message(2));
        Assert.Equal(1, changes);
        Assert.Empty(sink.Messages);
        restored.WriteTable((2 * 16) + 12, [0, 0, 0, 0]); // unmask: the pending message goes out
        Assert.Equal([new MsiMessage(0xFEE0_0000, 0x41)], sink.Messages);
    }

    [Fact]
    public void Msix_vectors_refuse_a_pending_bit_beyond_the_table_and_stay_as_they_were()
    {
        var msix = new MsixVectors(4, new RecordingMsiSink());
        MsixVectorsState bad = msix.SaveState() with { PendingBits = [1UL << 5], Enabled = true };

        Assert.Throws<DeviceStateException>(() => msix.RestoreState(bad, "test"));

        Assert.False(msix.Enabled);
        Assert.False(msix.IsPending(1));
    }
}
