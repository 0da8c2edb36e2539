using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;

namespace SharpVmm.Tests.Unit.Virtio.Transport;

/// <summary>
/// A driver's view of one virtio transport, the same for virtio-mmio and virtio-pci: each member is a register access
/// the way that transport's driver makes it, so a test written once runs against both and shows they agree.
/// </summary>
internal abstract class VirtioTransportDriver(IVirtioTransport transport)
{
    /// <summary>The transport name a theory passes for virtio-mmio.</summary>
    public const string Mmio = "mmio";

    /// <summary>The transport name a theory passes for virtio-pci.</summary>
    public const string Pci = "pci";

    /// <summary>ACKNOWLEDGE | DRIVER.</summary>
    public const byte AckDriver = 0x03;

    /// <summary>ACKNOWLEDGE | DRIVER | FEATURES_OK.</summary>
    public const byte FeaturesOk = 0x0B;

    /// <summary>ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK.</summary>
    public const byte DriverOk = 0x0F;

    /// <summary>The transport <paramref name="kind"/> (<see cref="Mmio"/> or <see cref="Pci"/>) carrying <paramref name="device"/>.</summary>
    public static VirtioTransportDriver Create(string kind, FakeVirtioDevice device, GuestMemory memory) => kind switch
    {
        Mmio => new MmioTransportDriver(device, memory),
        Pci => new PciTransportDriver(device, memory),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "mmio or pci"),
    };

    /// <summary>The transport as the device sees it.</summary>
    public IVirtioInterrupt Interrupt => transport;

    /// <summary>The transport's queue registers.</summary>
    public IReadOnlyList<VirtQueueConfig> Queues => transport.Queues;

    /// <summary>The features the transport recorded as accepted.</summary>
    public ulong DriverFeatures => transport.DriverFeatures;

    /// <summary>Whether the transport recorded an activation.</summary>
    public bool IsActivated => transport.IsActivated;

    /// <summary>What the last failed activation threw.</summary>
    public Exception? ActivationFailure => transport.ActivationFailure;

    /// <summary>Guest accesses the transport ignored or refused.</summary>
    public long IgnoredAccesses => transport.IgnoredAccesses;

    public abstract byte ReadStatus();

    public abstract void WriteStatus(byte value);

    public abstract uint ReadDeviceFeatures(uint page);

    public abstract void WriteDriverFeatures(uint page, uint value);

    public abstract void SelectQueue(ushort index);

    public abstract void WriteQueueSize(ushort size);

    public abstract void WriteQueueDescriptorTable(ulong address);

    public abstract void WriteQueueReady(uint value);

    public abstract uint ReadQueueReady();

    public abstract void Notify(ushort queue);

    /// <summary>The configuration generation (its low byte: virtio-pci's field is 8 bits).</summary>
    public abstract byte ReadConfigGeneration();

    /// <summary>Whether a configuration change interrupt is pending; reading acknowledges it.</summary>
    public abstract bool TakeConfigInterrupt();

    /// <summary>ACKNOWLEDGE, DRIVER, both feature words, FEATURES_OK.</summary>
    public void Negotiate(ulong features)
    {
        WriteStatus(0x01);
        WriteStatus(AckDriver);
        WriteDriverFeatures(0, (uint)features);
        WriteDriverFeatures(1, (uint)(features >> 32));
        WriteStatus(FeaturesOk);
    }

    /// <summary>Size, ring addresses and ready for queue <paramref name="index"/>.</summary>
    public void ProgramQueue(ushort index, ushort size)
    {
        SelectQueue(index);
        WriteQueueSize(size);
        WriteQueueDescriptorTable(0x1000);
        WriteQueueReady(1);
    }

    /// <summary>A whole initialisation: VERSION_1, queue 0 of 64 entries, DRIVER_OK.</summary>
    public void BringUp()
    {
        Negotiate(VirtioFeatures.Version1);
        ProgramQueue(0, 64);
        WriteStatus(DriverOk);
    }
}
