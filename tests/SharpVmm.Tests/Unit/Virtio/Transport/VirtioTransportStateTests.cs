using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;
using D = SharpVmm.Tests.Unit.Virtio.Transport.VirtioTransportDriver;

namespace SharpVmm.Tests.Unit.Virtio.Transport;

/// <summary>
/// The shared transport state machine (<see cref="VirtioTransportState"/>) against virtio 1.2, each test run through
/// both transports: the points where the two used to differ (DEVICE_NEEDS_RESET interrupts, when an activation is
/// recorded, a refused FEATURES_OK, feature pages 2 and above, writing 0 to queue-ready), and the status rules around them.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class VirtioTransportStateTests : IDisposable
{
    private const ulong DeviceOnlyFeature = 1UL << 5;
    private const byte NeedsReset = (byte)VirtioDeviceStatus.DeviceNeedsReset;

    private readonly GuestMemory _memory = GuestMemory.CreateFlat(0x10000);
    private readonly FakeVirtioDevice _device = new(VirtioFeatures.Common | DeviceOnlyFeature, 256, 16);

    public void Dispose() => _memory.Dispose();

    /// <summary>Both transports, for the theories that take nothing else.</summary>
    public static TheoryData<string> Transports => new(D.Mmio, D.Pci);

    private VirtioTransportDriver Transport(string kind) => D.Create(kind, _device, _memory);

    [Theory]
    [MemberData(nameof(Transports))]
    public void A_device_that_needs_a_reset_sets_the_status_bit_and_interrupts_once(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        transport.BringUp();
        byte generation = transport.ReadConfigGeneration();

        transport.Interrupt.SetNeedsReset();
        Assert.True(transport.TakeConfigInterrupt());
        transport.Interrupt.SetNeedsReset(); // a second broken queue: the driver already knows

        Assert.False(transport.TakeConfigInterrupt());
        Assert.Equal(D.DriverOk | NeedsReset, transport.ReadStatus());
        Assert.Equal((byte)(generation + 1), transport.ReadConfigGeneration());

        transport.WriteStatus(D.DriverOk); // the driver cannot clear it...
        Assert.Equal(D.DriverOk | NeedsReset, transport.ReadStatus());
        transport.WriteStatus(0); // ...except by a reset
        Assert.Equal(0, transport.ReadStatus());
        transport.Interrupt.SetNeedsReset();
        Assert.True(transport.TakeConfigInterrupt()); // a new reset cycle reports again
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Driver_ok_records_the_activation_only_after_the_device_activate_returned(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        bool? activatedDuringActivate = null;
        _device.DuringActivation = _ =>
        {
            activatedDuringActivate = transport.IsActivated;
            transport.Notify(0); // a device thread may already wait: a notification now still reaches it
        };
        transport.Negotiate(VirtioFeatures.Version1);
        transport.ProgramQueue(0, 64);

        transport.WriteStatus(D.DriverOk);

        Assert.False(activatedDuringActivate);
        Assert.True(transport.IsActivated);
        Assert.Single(_device.Activations);
        Assert.Equal([0], _device.Notified);

        transport.WriteStatus(D.DriverOk); // DRIVER_OK again: once per reset
        Assert.Equal(1, _device.ActivateCalls);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void A_failed_activation_sets_needs_reset_interrupts_and_waits_for_a_reset(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        var error = new IOException("the back-end refused");
        _device.ActivationError = error;

        transport.BringUp();

        Assert.False(transport.IsActivated);
        Assert.Same(error, transport.ActivationFailure);
        Assert.Equal(D.DriverOk | NeedsReset, transport.ReadStatus());
        Assert.True(transport.TakeConfigInterrupt());
        transport.Notify(0);
        Assert.Empty(_device.Notified);
        transport.WriteStatus(D.DriverOk);
        Assert.Equal(1, _device.ActivateCalls); // not retried without a reset

        transport.WriteStatus(0);
        _device.ActivationError = null;
        transport.BringUp();
        Assert.True(transport.IsActivated);
        Assert.Equal(D.DriverOk, transport.ReadStatus());
    }

    [Theory]
    [InlineData(D.Mmio, 0UL)]                                            // a legacy driver: VERSION_1 missing
    [InlineData(D.Mmio, DeviceOnlyFeature)]
    [InlineData(D.Mmio, VirtioFeatures.Version1 | (1UL << 6))]           // bit 6 was not offered
    [InlineData(D.Mmio, VirtioFeatures.Version1 | (1UL << 40))]
    [InlineData(D.Pci, 0UL)]
    [InlineData(D.Pci, DeviceOnlyFeature)]
    [InlineData(D.Pci, VirtioFeatures.Version1 | (1UL << 6))]
    [InlineData(D.Pci, VirtioFeatures.Version1 | (1UL << 40))]
    public void Features_ok_is_refused_for_unoffered_or_missing_required_features_and_stays_clear(string kind, ulong features)
    {
        VirtioTransportDriver transport = Transport(kind);

        transport.Negotiate(features);

        Assert.Equal(D.AckDriver, transport.ReadStatus());
        Assert.Equal(1, transport.IgnoredAccesses);
        transport.WriteStatus(D.DriverOk); // DRIVER_OK on top of the refused FEATURES_OK: refused too
        Assert.Equal(D.AckDriver, transport.ReadStatus());
        Assert.Empty(_device.Activations);

        // The features stay writable, so the driver may try again with a subset the device offers.
        transport.Negotiate(VirtioFeatures.Version1 | DeviceOnlyFeature);
        Assert.Equal(D.FeaturesOk, transport.ReadStatus());
        Assert.Equal(VirtioFeatures.Version1 | DeviceOnlyFeature, transport.DriverFeatures);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Feature_pages_2_and_above_read_0_and_drop_writes(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        Assert.Equal(unchecked((uint)(VirtioFeatures.Common | DeviceOnlyFeature)), transport.ReadDeviceFeatures(0));
        Assert.Equal(1u, transport.ReadDeviceFeatures(1));
        Assert.Equal(0u, transport.ReadDeviceFeatures(2));
        Assert.Equal(0u, transport.ReadDeviceFeatures(0xFFFF_FFFF));

        transport.WriteStatus(D.AckDriver);
        transport.WriteDriverFeatures(1, 1);
        transport.WriteDriverFeatures(2, 0); // nothing there: zeros are harmless
        Assert.Equal(0, transport.IgnoredAccesses);
        transport.WriteDriverFeatures(2, 0xFFFF_FFFF); // features that do not exist: dropped
        transport.WriteDriverFeatures(0x8000_0000, 1);
        Assert.Equal(2, transport.IgnoredAccesses);
        Assert.Equal(VirtioFeatures.Version1, transport.DriverFeatures);

        transport.WriteStatus(D.FeaturesOk);
        Assert.Equal(D.FeaturesOk, transport.ReadStatus());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Writing_0_to_queue_ready_before_driver_ok_disables_the_queue_so_it_can_be_programmed_again(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        transport.Negotiate(VirtioFeatures.Version1);
        transport.ProgramQueue(0, 64);

        transport.WriteQueueReady(0);

        Assert.Equal(0u, transport.ReadQueueReady());
        Assert.False(transport.Queues[0].Ready);
        transport.WriteQueueSize(32);
        transport.WriteQueueReady(1);
        transport.WriteStatus(D.DriverOk);
        Assert.Equal(32, Assert.Single(_device.Activations).Queues[0].Size);
        Assert.Equal(0, transport.IgnoredAccesses);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Once_the_device_runs_its_queues_stay_as_activated_until_reset(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        transport.BringUp();

        transport.WriteQueueReady(0); // cannot stop one queue alone: refused, and the read-back says so
        Assert.Equal(1u, transport.ReadQueueReady());
        transport.WriteQueueReady(1); // already so: fine
        transport.SelectQueue(1);
        transport.WriteQueueReady(1); // a queue the device was not activated with
        Assert.Equal(0u, transport.ReadQueueReady());
        Assert.Equal(2, transport.IgnoredAccesses);
        Assert.True(transport.Queues[0].Ready);
        Assert.Equal(0, _device.Resets);

        transport.WriteStatus(0);
        Assert.All(transport.Queues, q => Assert.False(q.Ready));
        Assert.Equal(1, _device.Resets);
    }

    [Theory]
    [InlineData(D.Mmio, 0x01)] // clears DRIVER
    [InlineData(D.Mmio, 0x07)] // clears FEATURES_OK, sets DRIVER_OK
    [InlineData(D.Mmio, 0x1B)] // reserved bit 4
    [InlineData(D.Pci, 0x01)]
    [InlineData(D.Pci, 0x07)]
    [InlineData(D.Pci, 0x1B)]
    public void Status_writes_that_clear_a_bit_or_use_a_reserved_one_are_refused(string kind, byte status)
    {
        VirtioTransportDriver transport = Transport(kind);
        transport.Negotiate(VirtioFeatures.Version1);

        transport.WriteStatus(status);

        Assert.Equal(D.FeaturesOk, transport.ReadStatus());
        Assert.Equal(1, transport.IgnoredAccesses);
        Assert.Empty(_device.Activations);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Steps_may_come_together_but_not_out_of_order(string kind)
    {
        VirtioTransportDriver transport = Transport(kind);
        transport.WriteStatus(0x05); // ACKNOWLEDGE | DRIVER_OK: DRIVER and FEATURES_OK skipped
        Assert.Equal(0, transport.ReadStatus());

        transport.WriteStatus(D.AckDriver); // two steps in one write (SeaBIOS does this)
        transport.WriteDriverFeatures(1, 1);
        transport.WriteStatus(D.DriverOk); // and FEATURES_OK with DRIVER_OK
        Assert.Equal(D.DriverOk, transport.ReadStatus());
        Assert.Single(_device.Activations);
        transport.WriteStatus(D.DriverOk | (byte)VirtioDeviceStatus.Failed); // FAILED comes at any time
        Assert.Equal(D.DriverOk | (byte)VirtioDeviceStatus.Failed, transport.ReadStatus());
    }
}
