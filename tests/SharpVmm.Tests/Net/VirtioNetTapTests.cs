using System.Buffers.Binary;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Net;

/// <summary>virtio-net over a real TAP in a private namespace (needs root): the driver side is a VirtQueueBuilder.</summary>
[Tier(TestTiers.Unit)]
public class VirtioNetTapTests
{
    private static readonly byte[] GuestMac = [0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF];

    [Fact]
    public void An_arp_request_sent_on_transmitq_is_answered_on_receiveq()
    {
        using var ns = NetworkNamespace.Create();
        TapDevice tap = ns.RunInside(() => TapDevice.Open("svnet0"));
        ns.RunCommandLine("ip addr add 10.78.0.1/24 dev svnet0");
        ns.RunCommandLine("ip link set svnet0 up");
        using var device = new VirtioNetDevice(tap, GuestMac);
        var irq = new FakeVirtioInterrupt();
        ulong features = VirtioFeatures.Common | VirtioNetFeatures.Mac | VirtioNetFeatures.Status;

        // Transmit only first (the builder lays out one queue per memory); the reply waits in the tap's queue.
        using (var tx = new VirtQueueBuilder())
        {
            device.Activate(new VirtioActivation(tx.Memory, features, [new VirtQueueConfig(16), tx.Config], irq));
            tx.AddChain(ChainBuffer.In(new byte[VirtioNetHeader.Size]), ChainBuffer.In(ArpRequest()));
            device.Notify(VirtioNetDevice.TransmitQueue);
            Assert.True(FakeVirtioInterrupt.WaitFor(() => tx.UsedIdx == 1), "the request was never transmitted");
            Assert.Equal(1L, device.TxFrames);
            device.Reset();
        }

        using var rx = new VirtQueueBuilder();
        var buffers = Enumerable.Range(0, 4).Select(_ => rx.AddChain(ChainBuffer.Out(VirtioNetHeader.Size + 1514))).ToList();
        device.Activate(new VirtioActivation(rx.Memory, features, [rx.Config, new VirtQueueConfig(16)], irq));

        Assert.True(FakeVirtioInterrupt.WaitFor(() => Enumerable.Range(0, rx.UsedIdx).Any(n => IsArpReply(rx, buffers, n))),
            $"no ARP reply reached the receive queue ({rx.UsedIdx} frames received)");
    }

    private static bool IsArpReply(VirtQueueBuilder rx, List<BuiltChain> buffers, int n)
    {
        var (id, length) = rx.Used(n);
        BuiltChain chain = buffers.Single(b => b.Head == id);
        byte[] data = rx.ReadBuffer(chain, 0).AsSpan(0, (int)length).ToArray();
        ReadOnlySpan<byte> frame = data.AsSpan(VirtioNetHeader.Size);
        return BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(VirtioNetHeader.NumBuffersOffset)) == 1
            && frame.Length >= 42
            && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0806
            && BinaryPrimitives.ReadUInt16BigEndian(frame[20..]) == 2
            && frame[..6].SequenceEqual(GuestMac)
            && frame[28..32].SequenceEqual((byte[])[10, 78, 0, 1]);
    }

    private static byte[] ArpRequest()
    {
        var frame = new byte[42];
        frame.AsSpan(0, 6).Fill(0xFF);
        GuestMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 1);
        GuestMac.CopyTo(frame, 22);
        new byte[] { 10, 78, 0, 2 }.CopyTo(frame, 28);
        new byte[] { 10, 78, 0, 1 }.CopyTo(frame, 38);
        return frame;
    }
}
