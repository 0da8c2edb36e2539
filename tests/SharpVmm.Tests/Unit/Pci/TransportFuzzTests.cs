using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Pci;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Pci;

/// <summary>
/// Seeded random 1/2/4/8-byte reads and writes at random offsets of both virtio transports and the PCI configuration
/// ports: nothing throws, every access keeps the transport's promises (<see cref="VirtioTransportWatch"/>), guest memory
/// is not touched, and a driver that then resets the device can still bring it up.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class TransportFuzzTests : IDisposable
{
    private const ulong Offered = VirtioFeatures.Common | (1UL << 5);
    private readonly GuestMemory _memory = GuestMemory.CreateFlat(1 << 20);
    private readonly byte[] _memoryBefore = new byte[1 << 20];

    public TransportFuzzTests()
    {
        new Random(1).NextBytes(_memoryBefore);
        _memory.Write(new GuestAddress(0), _memoryBefore);
    }

    public void Dispose() => _memory.Dispose();

    // A transport reads and writes registers; only its device touches guest memory, and the fake device does not.
    private void AssertGuestMemoryUntouched() =>
        Assert.True(_memory.GetSpan(new GuestAddress(0), _memoryBefore.Length).SequenceEqual(_memoryBefore), "the transport wrote guest memory");

    private static int Width(Random random) => 1 << random.Next(0, 4);

    private static ulong Offset(Random random, ulong size) => random.Next(8) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => size - (ulong)random.Next(1, 9),
        _ => (ulong)random.NextInt64((long)size),
    };

    /// <summary>One random access to <paramref name="device"/>; returns what it was, for a failure message.</summary>
    private static string Poke(Random random, IBusDevice device, ulong size)
    {
        Span<byte> data = stackalloc byte[Width(random)];
        ulong offset = Offset(random, size);
        if (random.Next(2) == 0)
        {
            device.Read(offset, data);
            return $"a {data.Length}-byte read at 0x{offset:x}";
        }
        else
        {
            random.NextBytes(data);
            if (random.Next(3) == 0)
            {
                data[0] = (byte)random.Next(0, 0x10); // small values: plausible status bits, queue indices, sizes
                data[1..].Clear();
            }

            device.Write(offset, data);
            return $"a {data.Length}-byte write of {Convert.ToHexString(data)} at 0x{offset:x}";
        }
    }

    [Theory]
    [InlineData(51)]
    [InlineData(52)]
    public void Mmio_random_and_driver_like_accesses_keep_the_transport_promises_and_a_driver_still_works(int seed)
    {
        var random = new Random(seed);
        var fake = new FakeVirtioDevice(Offered, 256, 16);
        var irq = new RecordingInterruptLine();
        using var mmio = new VirtioMmioDevice(fake, _memory, irq);
        var watch = new VirtioTransportWatch(fake, () => (byte)mmio.Status, () => irq.Levels.Contains(true));
        for (int i = 0; i < 20000; i++)
        {
            watch.Check(random.Next(3) == 0 ? DriverLikeWrites.Mmio(random, mmio) : Poke(random, mmio, VirtioMmioDevice.WindowSize));
        }

        Assert.True(watch.Activations > 10, $"20000 random accesses activated the device {watch.Activations} times: the fuzz reached too little");
        AssertGuestMemoryUntouched();

        // A normal driver: reset, negotiate, program queue 0, DRIVER_OK, notify.
        void W(int offset, uint value)
        {
            mmio.Write((ulong)offset, BitConverter.GetBytes(value));
            watch.Check($"the driver's write of 0x{value:x} at 0x{offset:x}");
        }

        uint R(int offset)
        {
            Span<byte> b = stackalloc byte[4];
            mmio.Read((ulong)offset, b);
            return BinaryPrimitives.ReadUInt32LittleEndian(b);
        }

        int activations = fake.Activations.Count;
        W(VirtioMmioRegister.Status, 0);
        Assert.Equal(0u, R(VirtioMmioRegister.Status));
        W(VirtioMmioRegister.Status, 3);
        W(VirtioMmioRegister.DriverFeaturesSel, 1);
        W(VirtioMmioRegister.DriverFeatures, 1);
        W(VirtioMmioRegister.DriverFeaturesSel, 0);
        W(VirtioMmioRegister.DriverFeatures, 0);
        W(VirtioMmioRegister.Status, 0xB);
        Assert.Equal(0xBu, R(VirtioMmioRegister.Status));
        W(VirtioMmioRegister.QueueSel, 0);
        Assert.Equal(256u, R(VirtioMmioRegister.QueueNumMax));
        W(VirtioMmioRegister.QueueNum, 64);
        W(VirtioMmioRegister.QueueDescLow, 0x1000);
        W(VirtioMmioRegister.QueueDriverLow, 0x2000);
        W(VirtioMmioRegister.QueueDeviceLow, 0x3000);
        W(VirtioMmioRegister.QueueReady, 1);
        W(VirtioMmioRegister.Status, 0xF);
        Assert.Equal(0xFu, R(VirtioMmioRegister.Status));
        Assert.Equal(activations + 1, fake.Activations.Count);
        VirtQueueConfig q = fake.Activations[^1].Queues[0];
        Assert.Equal((ushort)64, q.Size);
        Assert.Equal(0x1000UL, q.DescriptorTable.Value);
        int notified = fake.Notified.Count;
        W(VirtioMmioRegister.QueueNotify, 0);
        Assert.Equal(notified + 1, fake.Notified.Count);
    }

    [Theory]
    [InlineData(61)]
    [InlineData(62)]
    public void Pci_random_and_driver_like_accesses_keep_the_transport_promises_and_a_driver_still_works(int seed)
    {
        var random = new Random(seed);
        var fake = new FakeVirtioDevice(Offered, 256, 16);
        var msi = new RecordingMsiSink();
        var intx = new RecordingInterruptLine();
        var pci = new VirtioPciDevice(fake, _memory, msi, intx);
        IBusDevice bar0 = pci.Bars[0].Region;
        byte Status()
        {
            Span<byte> b = stackalloc byte[1];
            bar0.Read(0x14, b); // device_status: reading it changes nothing
            return b[0];
        }

        var watch = new VirtioTransportWatch(fake, Status, () => msi.Messages.Count > 0 || intx.Levels.Contains(true));
        Span<byte> data = stackalloc byte[8];
        for (int i = 0; i < 20000; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                    // Configuration space, including the capabilities and the VIRTIO_PCI_CAP_PCI_CFG window.
                    Span<byte> d = data[..Width(random)];
                    int offset = random.Next(10) == 0 ? random.Next() - (int.MaxValue / 2) : random.Next(0, 260);
                    if (random.Next(2) == 0)
                    {
                        pci.ReadConfig(offset, d);
                        watch.Check($"a {d.Length}-byte configuration read at {offset}");
                    }
                    else
                    {
                        random.NextBytes(d);
                        pci.WriteConfig(offset, d);
                        watch.Check($"a {d.Length}-byte configuration write of {Convert.ToHexString(d)} at {offset}");
                    }

                    break;
                case 1:
                    watch.Check("BAR 1: " + Poke(random, pci.Bars[1].Region, VirtioPciLayout.Bar1Size));
                    break;
                case 2 or 3:
                    watch.Check(DriverLikeWrites.Pci(random, bar0));
                    break;
                default:
                    watch.Check("BAR 0: " + Poke(random, bar0, VirtioPciLayout.Bar0Size));
                    break;
            }
        }

        Assert.True(watch.Activations > 10, $"20000 random accesses activated the device {watch.Activations} times: the fuzz reached too little");
        AssertGuestMemoryUntouched();

        void W(ulong offset, int size, ulong value)
        {
            bar0.Write(offset, BitConverter.GetBytes(value).AsSpan(0, size));
            watch.Check($"the driver's {size}-byte write of 0x{value:x} at 0x{offset:x}");
        }

        ulong R(ulong offset, int size)
        {
            Span<byte> b = stackalloc byte[8];
            bar0.Read(offset, b[..size]);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }

        int activations = fake.Activations.Count;
        W(0x14, 1, 0);
        Assert.Equal(0UL, R(0x14, 1));
        W(0x14, 1, 3);
        W(0x08, 4, 1);
        W(0x0C, 4, 1);
        W(0x08, 4, 0);
        W(0x0C, 4, 0);
        W(0x14, 1, 0xB);
        Assert.Equal(0xBUL, R(0x14, 1));
        W(0x16, 2, 1);
        Assert.Equal(16UL, R(0x18, 2));
        W(0x18, 2, 8);
        W(0x20, 8, 0x1000);
        W(0x28, 8, 0x2000);
        W(0x30, 8, 0x3000);
        W(0x1C, 2, 1);
        W(0x14, 1, 0xF);
        Assert.Equal(0xFUL, R(0x14, 1));
        Assert.Equal(activations + 1, fake.Activations.Count);
        Assert.Equal((ushort)8, fake.Activations[^1].Queues[1].Size);
        int notified = fake.Notified.Count;
        W(VirtioPciLayout.NotifyOffset + VirtioPciLayout.NotifyOffMultiplier, 2, 1);
        Assert.Equal([.. Enumerable.Repeat(1, 1)], fake.Notified.Skip(notified));
    }

    [Theory]
    [InlineData(71)]
    public void Host_bridge_ports_take_random_accesses_without_driving_the_device_and_still_read_ids(int seed)
    {
        var random = new Random(seed);
        var mmio = new MmioBus();
        var bus = new PciBus(mmio);
        var fake = new FakeVirtioDevice(Offered, 256);
        var msi = new RecordingMsiSink();
        var intx = new RecordingInterruptLine();
        bus.Add(1, new VirtioPciDevice(fake, _memory, msi, intx));
        var bridge = new PciHostBridge(bus);
        Span<byte> data = stackalloc byte[8];
        for (int i = 0; i < 20000; i++)
        {
            Span<byte> d = data[..Width(random)];
            ulong port = random.Next(10) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(0, PciLayout.ConfigPortCount);
            if (random.Next(2) == 0)
            {
                bridge.Read(port, d);
            }
            else
            {
                random.NextBytes(d);
                if (port == 0 && d.Length == 4 && random.Next(2) == 0)
                {
                    // Mostly addresses that reach the devices present.
                    BinaryPrimitives.WriteUInt32LittleEndian(d, PciHostBridge.EnableBit | ((uint)random.Next(0, 3) << 11) | (uint)random.Next(0, 256));
                }

                bridge.Write(port, d);
            }
        }

        // Configuration space alone cannot drive the device: nothing was activated, notified or interrupted.
        Assert.Empty(fake.Activations);
        Assert.Empty(fake.Notified);
        Assert.Empty(msi.Messages);
        Assert.DoesNotContain(true, intx.Levels);
        AssertGuestMemoryUntouched();

        bridge.Write(0, BitConverter.GetBytes(PciHostBridge.EnableBit | (1u << 11)));
        Span<byte> id = stackalloc byte[4];
        bridge.Read(4, id);
        Assert.Equal(0x1042_1AF4u, BinaryPrimitives.ReadUInt32LittleEndian(id));
        bridge.Write(0, BitConverter.GetBytes(PciHostBridge.EnableBit));
        bridge.Read(4, id);
        Assert.Equal(((uint)PciHostBridgeFunction.DeviceId << 16) | PciHostBridgeFunction.VendorId, BinaryPrimitives.ReadUInt32LittleEndian(id));
    }

    [Fact]
    public void Pci_driver_ok_set_again_without_a_reset_does_not_activate_the_device_twice()
    {
        // 2.1.2: the driver must not clear a status bit; one that clears DRIVER_OK and sets it again must not get
        // a second activation over the running queues (virtio-mmio already refuses it).
        var fake = new FakeVirtioDevice(Offered, 16);
        var pci = new VirtioPciDevice(fake, _memory, new RecordingMsiSink(), new RecordingInterruptLine());
        IBusDevice bar0 = pci.Bars[0].Region;
        void W(ulong offset, int size, ulong value) => bar0.Write(offset, BitConverter.GetBytes(value).AsSpan(0, size));
        W(0x14, 1, 3);
        W(0x08, 4, 1);
        W(0x0C, 4, 1);
        W(0x14, 1, 0xB);
        W(0x1C, 2, 1);
        W(0x14, 1, 0xF);
        W(0x14, 1, 0xB);
        W(0x14, 1, 0xF);
        Assert.Single(fake.Activations);
    }

    [Fact]
    public void Pci_cfg_window_offset_that_wraps_round_is_ignored()
    {
        // VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): offset 0xFFFFFFFC + length 4 wraps a 32-bit sum to 0, which must not pass
        // for "inside the BAR".
        var pci = new VirtioPciDevice(new FakeVirtioDevice(Offered, 16), _memory, new RecordingMsiSink(), new RecordingInterruptLine());
        Span<byte> b = stackalloc byte[4];
        int cap = 0;
        pci.ReadConfig(PciConfigSpace.CapabilitiesPointerOffset, b[..1]);
        for (int at = b[0]; at != 0; at = b[1])
        {
            pci.ReadConfig(at, b);
            if (b[0] == VirtioPciLayout.VendorCapabilityId && b[3] == VirtioPciLayout.CapPciConfig)
            {
                cap = at;
            }
        }

        Assert.NotEqual(0, cap);
        pci.WriteConfig(cap + 4, [0]);                                  // bar 0
        pci.WriteConfig(cap + 8, BitConverter.GetBytes(0xFFFF_FFFCu)); // offset
        pci.WriteConfig(cap + 12, BitConverter.GetBytes(4u));          // length
        long ignored = pci.IgnoredAccesses;
        pci.ReadConfig(cap + 16, b);
        Assert.Equal(ignored + 1, pci.IgnoredAccesses);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(b));
    }
}
