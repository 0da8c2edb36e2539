using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using R = SharpVmm.Devices.Virtio.Mmio.VirtioMmioRegister;

namespace SharpVmm.Tests.Unit.Virtio.Transport;

/// <summary>A driver of a <see cref="VirtioMmioDevice"/>: aligned 32-bit register accesses (virtio 1.2, 4.2.2).</summary>
internal sealed class MmioTransportDriver : VirtioTransportDriver
{
    private readonly VirtioMmioDevice _mmio;

    public MmioTransportDriver(FakeVirtioDevice device, GuestMemory memory)
        : this(new VirtioMmioDevice(device, memory, new RecordingInterruptLine()))
    {
    }

    private MmioTransportDriver(VirtioMmioDevice mmio)
        : base(mmio) => _mmio = mmio;

    /// <summary>An aligned 32-bit register read from a virtio-mmio window.</summary>
    public static uint Read32(IBusDevice window, int offset)
    {
        Span<byte> data = stackalloc byte[4];
        window.Read((ulong)offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    /// <summary>An aligned 32-bit register write to a virtio-mmio window.</summary>
    public static void Write32(IBusDevice window, int offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        window.Write((ulong)offset, data);
    }

    public override byte ReadStatus() => (byte)Read(R.Status);

    public override void WriteStatus(byte value) => Write(R.Status, value);

    public override uint ReadDeviceFeatures(uint page)
    {
        Write(R.DeviceFeaturesSel, page);
        return Read(R.DeviceFeatures);
    }

    public override void WriteDriverFeatures(uint page, uint value)
    {
        Write(R.DriverFeaturesSel, page);
        Write(R.DriverFeatures, value);
    }

    public override void SelectQueue(ushort index) => Write(R.QueueSel, index);

    public override void WriteQueueSize(ushort size) => Write(R.QueueNum, size);

    public override void WriteQueueDescriptorTable(ulong address)
    {
        Write(R.QueueDescLow, (uint)address);
        Write(R.QueueDescHigh, (uint)(address >> 32));
    }

    public override void WriteQueueReady(uint value) => Write(R.QueueReady, value);

    public override uint ReadQueueReady() => Read(R.QueueReady);

    public override void Notify(ushort queue) => Write(R.QueueNotify, queue);

    public override byte ReadConfigGeneration() => (byte)Read(R.ConfigGeneration);

    public override bool TakeConfigInterrupt()
    {
        bool pending = (Read(R.InterruptStatus) & VirtioMmioDevice.InterruptConfigChange) != 0;
        Write(R.InterruptAck, VirtioMmioDevice.InterruptConfigChange);
        return pending;
    }

    private uint Read(int offset) => Read32(_mmio, offset);

    private void Write(int offset, uint value) => Write32(_mmio, offset, value);
}
