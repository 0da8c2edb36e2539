using System.Buffers.Binary;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class VirtioNetDeviceTests
{
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    [Fact]
    public void Config_has_the_mac_and_link_up_and_features_offer_offloads_both_ways()
    {
        using var device = new VirtioNetDevice(new FakeNetworkBackend(), Mac, queueSize: 64);

        var config = new byte[10];
        device.ReadConfig(0, config);
        device.WriteConfig(0, [1, 2, 3, 4, 5, 6, 0, 0]);
        var again = new byte[2];
        device.ReadConfig(6, again);

        Assert.Equal(VirtioDeviceType.Net, device.DeviceType);
        Assert.Equal(8, device.ConfigSize);
        Assert.Equal([0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 1, 0, 0, 0], config); // mac, status = LINK_UP, then zeros
        Assert.Equal([1, 0], again);
        Assert.Equal([(ushort)64, (ushort)64], device.QueueMaxSizes);
        ulong expected = VirtioFeatures.Common | VirtioNetFeatures.Mac | VirtioNetFeatures.Status | VirtioNetFeatures.Csum
            | VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6 | VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4
            | VirtioNetFeatures.GuestTso6 | VirtioNetFeatures.MrgRxbuf;
        Assert.Equal(expected, device.DeviceFeatures);
    }

    [Fact]
    public void Backend_offloads_follow_the_guest_side_features_the_driver_accepted()
    {
        Assert.Equal(TapOffloads.None, VirtioNetDevice.OffloadsFor(VirtioFeatures.Common | VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4));
        Assert.Equal(TapOffloads.None, VirtioNetDevice.OffloadsFor(VirtioNetFeatures.GuestTso4)); // TSO without CSUM is invalid
        Assert.Equal(TapOffloads.Csum, VirtioNetDevice.OffloadsFor(VirtioNetFeatures.GuestCsum));
        Assert.Equal(TapOffloads.Csum | TapOffloads.Tso4 | TapOffloads.Tso6,
            VirtioNetDevice.OffloadsFor(VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4 | VirtioNetFeatures.GuestTso6));

        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        using var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(rx, new FakeVirtioInterrupt(), transmit: false,
            features: VirtioFeatures.Common | VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4));
        Assert.Equal(TapOffloads.Csum | TapOffloads.Tso4, backend.Offloads);
    }

    [Fact]
    public void With_mergeable_buffers_a_large_frame_spans_several_chains_and_waits_for_enough_of_them()
    {
        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        BuiltChain first = rx.AddChain(ChainBuffer.Out(1500));
        device.Activate(Activation(rx, irq, transmit: false,
            features: VirtioFeatures.Common | VirtioNetFeatures.MrgRxbuf | VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4));

        byte[] header = Header(flags: VirtioNetHeader.FlagNeedsCsum, gso: VirtioNetHeader.GsoTcpV4, csumStart: 34, csumOffset: 16);
        byte[] frame = Frame(3000, seed: 3);
        backend.Enqueue([.. header, .. frame]);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => backend.PendingInbound == 0 && device.IdleWaits(VirtioNetDevice.ReceiveQueue) == 1),
            "the reader never went to sleep waiting for more buffers");
        Assert.Equal(0, rx.UsedIdx); // one 1500-byte buffer is not enough for 3012 bytes: nothing is used yet

        BuiltChain second = rx.AddChain(ChainBuffer.Out(1500));
        BuiltChain third = rx.AddChain(ChainBuffer.Out(1500));
        rx.AddChain(ChainBuffer.Out(1500)); // left for the next frame
        device.Notify(VirtioNetDevice.ReceiveQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 3), "the frame was not delivered across three buffers");
        Assert.Equal(
            [(first.Head, 1500u), (second.Head, 1500u), (third.Head, 12u)],
            Enumerable.Range(0, 3).Select(n => ((ushort)rx.Used(n).Id, rx.Used(n).Length)).ToArray());
        byte[] landed = [.. rx.ReadBuffer(first, 0), .. rx.ReadBuffer(second, 0), .. rx.ReadBuffer(third, 0).AsSpan(0, 12)];
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(landed.AsSpan(VirtioNetHeader.NumBuffersOffset))); // num_buffers
        Assert.Equal(header.AsSpan(0, 10).ToArray(), landed.AsSpan(0, 10).ToArray()); // offload fields passed through
        Assert.Equal(frame, landed.AsSpan(VirtioNetHeader.Size).ToArray());
        Assert.Equal((1L, 3000L, 0L), (device.RxFrames, device.RxBytes, device.RxDropped));
    }

    [Fact]
    public void A_transmitted_frame_reaches_the_backend_with_its_header()
    {
        using var tx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(tx, irq, transmit: true));

        byte[] header = Header(flags: VirtioNetHeader.FlagNeedsCsum, csumStart: 34, csumOffset: 16);
        byte[] frame = Frame(60, seed: 1);
        tx.AddChain(ChainBuffer.In(header), ChainBuffer.In(frame.AsSpan(0, 20)), ChainBuffer.In(frame.AsSpan(20)));
        device.Notify(VirtioNetDevice.TransmitQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => tx.UsedIdx == 1), "the tx chain was never used");
        Assert.Equal([.. header, .. frame], Assert.Single(backend.Written));
        Assert.Equal(0u, tx.Used(0).Length);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => irq.UsedSignals == 1));
        Assert.Equal((1L, 60L, 0L), (device.TxFrames, device.TxBytes, device.TxDropped));
        Assert.Equal(TapOffloads.None, backend.Offloads);
    }

    [Fact]
    public void A_received_frame_lands_in_a_posted_buffer_with_a_header_and_used_length()
    {
        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        BuiltChain buffer = rx.AddChain(ChainBuffer.Out(VirtioNetHeader.Size + 1514));
        device.Activate(Activation(rx, irq, transmit: false));

        byte[] frame = Frame(98, seed: 7);
        byte[] header = Header(flags: VirtioNetHeader.FlagDataValid);
        backend.Enqueue([.. header, .. frame]);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 1), "the frame was never delivered");
        Assert.Equal((buffer.Head, (uint)(VirtioNetHeader.Size + 98)), ((ushort)rx.Used(0).Id, rx.Used(0).Length));
        byte[] landed = rx.ReadBuffer(buffer, 0);
        Assert.Equal(0, landed[0]); // 5.1.6.4.1: flags are zero without GUEST_CSUM
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(landed.AsSpan(VirtioNetHeader.NumBuffersOffset))); // num_buffers
        Assert.Equal(frame, landed.AsSpan(VirtioNetHeader.Size, 98).ToArray());
        Assert.Equal(0xEE, landed[VirtioNetHeader.Size + 98]); // nothing written past the frame
        Assert.True(FakeVirtioInterrupt.WaitFor(() => irq.UsedSignals == 1));
        Assert.Equal((1L, 98L), (device.RxFrames, device.RxBytes));
    }

    [Fact]
    public void Receive_waits_for_buffers_without_draining_the_backend()
    {
        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(rx, irq, transmit: false));
        backend.Enqueue([.. Header(), .. Frame(60, seed: 1)]);
        backend.Enqueue([.. Header(), .. Frame(60, seed: 2)]);

        // One frame held, and the reader asleep until buffers are posted: it reads no more.
        Assert.True(FakeVirtioInterrupt.WaitFor(() => backend.PendingInbound == 1 && device.IdleWaits(VirtioNetDevice.ReceiveQueue) == 1),
            "the reader never went to sleep waiting for buffers");
        Assert.Equal(1, backend.PendingInbound);
        Assert.Equal(0L, device.RxFrames);
        Assert.Equal(0, irq.UsedSignals);

        BuiltChain first = rx.AddChain(ChainBuffer.Out(2048));
        BuiltChain second = rx.AddChain(ChainBuffer.Out(2048));
        device.Notify(VirtioNetDevice.ReceiveQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 2), "posting buffers did not resume receive");
        Assert.Equal(Frame(60, seed: 1), rx.ReadBuffer(first, 0).AsSpan(VirtioNetHeader.Size, 60).ToArray());
        Assert.Equal(Frame(60, seed: 2), rx.ReadBuffer(second, 0).AsSpan(VirtioNetHeader.Size, 60).ToArray());
        Assert.Equal(0, backend.PendingInbound);
    }

    [Fact]
    public void Malformed_transmit_chains_are_returned_unused_without_reaching_the_backend()
    {
        using var tx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(tx, irq, transmit: true, features: VirtioFeatures.Common));

        tx.AddChain(ChainBuffer.In([1, 2, 3, 4]));                        // shorter than a header
        tx.AddChain(ChainBuffer.Out(64));                                 // nothing to send
        tx.AddChain(ChainBuffer.In([.. Header(gso: VirtioNetHeader.GsoTcpV4), .. Frame(60, 3)])); // TSO not negotiated
        tx.AddChain(ChainBuffer.In([.. Header(flags: VirtioNetHeader.FlagNeedsCsum), .. Frame(60, 3)])); // CSUM not negotiated
        tx.AddChain(ChainBuffer.In([.. Header(), .. Frame(60, 4)]));
        device.Notify(VirtioNetDevice.TransmitQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => tx.UsedIdx == 5));
        Assert.Equal(Frame(60, 4), Assert.Single(backend.Written).AsSpan(VirtioNetHeader.Size).ToArray());
        Assert.Equal((2L, 2L, 1L), (device.MalformedChains, device.TxDropped, device.TxFrames));
        Assert.Equal(0, irq.NeedsResetSignals);
    }

    [Fact]
    public void A_backend_that_refuses_a_frame_counts_a_drop()
    {
        using var tx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend { AcceptWrites = false };
        using var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(tx, new FakeVirtioInterrupt(), transmit: true));

        tx.AddChain(ChainBuffer.In([.. Header(), .. Frame(60, 5)]));
        device.Notify(VirtioNetDevice.TransmitQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => tx.UsedIdx == 1));
        Assert.Equal((0L, 1L), (device.TxFrames, device.TxDropped));
    }

    [Fact]
    public void A_failing_backend_stops_transmit_without_throwing_out_of_the_worker()
    {
        using var tx = new VirtQueueBuilder();
        var failure = new IOException("tap gone");
        var backend = new FakeNetworkBackend { WriteFailure = failure };
        using var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(tx, new FakeVirtioInterrupt(), transmit: true));

        tx.AddChain(ChainBuffer.In([.. Header(), .. Frame(60, 6)]));
        device.Notify(VirtioNetDevice.TransmitQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.BackendFailure is not null));
        Assert.Same(failure, device.BackendFailure);
        device.Reset();
    }

    [Fact]
    public void A_backend_frame_shorter_than_a_header_is_dropped_and_the_next_one_delivered()
    {
        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        BuiltChain buffer = rx.AddChain(ChainBuffer.Out(2048));
        device.Activate(Activation(rx, irq, transmit: false));

        backend.Enqueue([1, 2, 3, 4, 5]);
        backend.Enqueue([.. Header(), .. Frame(60, 4)]);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 1), "the good frame was never delivered");
        Assert.Equal(Frame(60, 4), rx.ReadBuffer(buffer, 0).AsSpan(VirtioNetHeader.Size, 60).ToArray());
        Assert.Equal((1L, 1L), (device.RxDropped, device.RxFrames));
        Assert.Null(device.BackendFailure);
    }

    [Fact]
    public void Bad_receive_buffers_are_answered_and_oversized_frames_dropped()
    {
        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        using var device = new VirtioNetDevice(backend, Mac);
        rx.AddChain(ChainBuffer.In([0, 0, 0, 0]));  // device-readable only: nowhere to write
        rx.AddChain(ChainBuffer.Out(64));           // too small for the frame below
        BuiltChain good = rx.AddChain(ChainBuffer.Out(2048));
        device.Activate(Activation(rx, irq, transmit: false));

        backend.Enqueue([.. Header(), .. Frame(200, 8)]);
        backend.Enqueue([.. Header(), .. Frame(60, 9)]);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 3));
        Assert.Equal((0u, 0u), (rx.Used(0).Length, rx.Used(1).Length));
        Assert.Equal((uint)(VirtioNetHeader.Size + 60), rx.Used(2).Length);
        Assert.Equal(Frame(60, 9), rx.ReadBuffer(good, 0).AsSpan(VirtioNetHeader.Size, 60).ToArray());
        Assert.Equal((1L, 1L, 1L), (device.MalformedChains, device.RxDropped, device.RxFrames));
    }

    [Fact]
    public void A_broken_ring_asks_for_a_reset_and_reset_stops_the_workers()
    {
        using var tx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        var irq = new FakeVirtioInterrupt();
        var device = new VirtioNetDevice(backend, Mac);
        device.Activate(Activation(tx, irq, transmit: true));

        tx.AvailIdx = (ushort)(tx.Size + 3); // further ahead than the queue is long
        device.Notify(VirtioNetDevice.TransmitQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => irq.NeedsResetSignals == 1), "a broken ring did not set DEVICE_NEEDS_RESET");
        device.Reset();
        device.Notify(VirtioNetDevice.TransmitQueue);
        device.Notify(7); // no such queue: ignored
        device.Dispose();
        device.Dispose();
        device.Reset();

        Assert.True(backend.Disposed);
        Assert.Null(device.BackendFailure);
        Assert.Empty(backend.Written);
    }

    private static VirtioActivation Activation(VirtQueueBuilder queue, FakeVirtioInterrupt irq, bool transmit, ulong? features = null)
    {
        var unused = new VirtQueueConfig(queue.Size);
        VirtQueueConfig[] queues = transmit ? [unused, queue.Config] : [queue.Config, unused];
        ulong negotiated = features ?? (VirtioFeatures.Common | VirtioNetFeatures.Mac | VirtioNetFeatures.Status
            | VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6);
        return new VirtioActivation(queue.Memory, negotiated, queues, irq);
    }

    private static byte[] Header(byte flags = 0, byte gso = VirtioNetHeader.GsoNone, ushort csumStart = 0, ushort csumOffset = 0)
    {
        var header = new byte[VirtioNetHeader.Size];
        header[0] = flags;
        header[1] = gso;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), csumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), csumOffset);
        return header;
    }

    private static byte[] Frame(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 7) + seed))];

    [Fact]
    public void Each_queue_has_its_own_notification_handle_and_signalling_them_transmits_and_resumes_receive()
    {
        using var tx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        using var device = new VirtioNetDevice(backend, Mac);
        System.Runtime.InteropServices.SafeHandle? rxHandle = device.QueueNotificationHandle(VirtioNetDevice.ReceiveQueue);
        System.Runtime.InteropServices.SafeHandle? txHandle = device.QueueNotificationHandle(VirtioNetDevice.TransmitQueue);
        Assert.NotNull(rxHandle);
        Assert.NotNull(txHandle);
        Assert.NotSame(rxHandle, txHandle);
        Assert.Null(device.QueueNotificationHandle(2));
        EventFdWriter.Signal(txHandle); // before activation: harmless

        device.Activate(Activation(tx, new FakeVirtioInterrupt(), transmit: true));
        // The transmit thread found the ring empty and sleeps: only a wake-up can find the chain below.
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.IdleWaits(VirtioNetDevice.TransmitQueue) == 1), "the transmit thread never went to sleep");
        tx.AddChain(ChainBuffer.In(Header()), ChainBuffer.In(Frame(60, seed: 4)));
        EventFdWriter.Signal(txHandle);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => tx.UsedIdx == 1), "the signal did not wake the transmit thread");
        Assert.Equal([.. Header(), .. Frame(60, seed: 4)], Assert.Single(backend.Written));

        using var rx = new VirtQueueBuilder();
        var inbound = new FakeNetworkBackend();
        using var receiver = new VirtioNetDevice(inbound, Mac);
        receiver.Activate(Activation(rx, new FakeVirtioInterrupt(), transmit: false));
        inbound.Enqueue([.. Header(), .. Frame(60, seed: 5)]);
        // Read, and the reader asleep waiting for a buffer: only a wake-up can find the one below.
        Assert.True(FakeVirtioInterrupt.WaitFor(() => inbound.PendingInbound == 0 && receiver.IdleWaits(VirtioNetDevice.ReceiveQueue) == 1),
            "the reader never went to sleep waiting for a buffer");
        BuiltChain buffer = rx.AddChain(ChainBuffer.Out(2048));
        EventFdWriter.Signal(receiver.QueueNotificationHandle(VirtioNetDevice.ReceiveQueue)!);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 1), "the signal did not resume receive");
        Assert.Equal(Frame(60, seed: 5), rx.ReadBuffer(buffer, 0).AsSpan(VirtioNetHeader.Size, 60).ToArray());
    }
}
