using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.Tests.Unit.Pci;

namespace SharpVmm.Tests.Unit.Virtio.Transport;

/// <summary>A driver of a <see cref="VirtioPciDevice"/>: the common configuration's fields at their widths, the ISR
/// and the notification registers in BAR 0 (virtio 1.2, 4.1.4); interrupts through INTx (MSI-X left off).</summary>
internal sealed class PciTransportDriver : VirtioTransportDriver
{
    // struct virtio_pci_common_cfg offsets (4.1.4.3).
    private const ulong DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0C;
    private const ulong DeviceStatus = 0x14, ConfigGeneration = 0x15, QueueSelect = 0x16, QueueSize = 0x18;
    private const ulong QueueEnable = 0x1C, QueueDesc = 0x20;

    private readonly VirtioPciDevice _pci;

    public PciTransportDriver(FakeVirtioDevice device, GuestMemory memory)
        : this(new VirtioPciDevice(device, memory, new RecordingMsiSink(), new RecordingInterruptLine()))
    {
    }

    private PciTransportDriver(VirtioPciDevice pci)
        : base(pci) => _pci = pci;

    private IBusDevice Bar0 => _pci.Bars[0].Region;

    public override byte ReadStatus() => (byte)Read(DeviceStatus, 1);

    public override void WriteStatus(byte value) => Write(DeviceStatus, 1, value);

    public override uint ReadDeviceFeatures(uint page)
    {
        Write(DeviceFeatureSelect, 4, page);
        return (uint)Read(DeviceFeature, 4);
    }

    public override void WriteDriverFeatures(uint page, uint value)
    {
        Write(DriverFeatureSelect, 4, page);
        Write(DriverFeature, 4, value);
    }

    public override void SelectQueue(ushort index) => Write(QueueSelect, 2, index);

    public override void WriteQueueSize(ushort size) => Write(QueueSize, 2, size);

    public override void WriteQueueDescriptorTable(ulong address) => Write(QueueDesc, 8, address);

    public override void WriteQueueReady(uint value) => Write(QueueEnable, 2, value);

    public override uint ReadQueueReady() => (uint)Read(QueueEnable, 2);

    public override void Notify(ushort queue) =>
        Write(VirtioPciLayout.NotifyOffset + (queue * (ulong)VirtioPciLayout.NotifyOffMultiplier), 2, queue);

    public override byte ReadConfigGeneration() => (byte)Read(ConfigGeneration, 1);

    public override bool TakeConfigInterrupt() => (Read(VirtioPciLayout.IsrOffset, 1) & VirtioPciLayout.IsrConfig) != 0;

    private ulong Read(ulong offset, int size)
    {
        Span<byte> data = stackalloc byte[8];
        data.Clear();
        Bar0.Read(offset, data[..size]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    private void Write(ulong offset, int size, ulong value) => Bar0.Write(offset, BitConverter.GetBytes(value).AsSpan(0, size));
}
