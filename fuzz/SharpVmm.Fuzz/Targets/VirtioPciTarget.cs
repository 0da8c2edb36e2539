using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Memory;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// virtio-pci (<see cref="VirtioPciDevice"/>) with a real device behind it: BAR 0 (common, ISR, device and notify
/// registers) at offsets 0-0x3fff, BAR 1 (the MSI-X table and PBA) from 0x4000, and configuration space through the
/// harness's other-space operation.
/// </summary>
public sealed class VirtioPciTarget : VirtioTransportTarget
{
    /// <inheritdoc />
    public override string Name => "virtio-pci";

    /// <inheritdoc />
    public override string Description => "virtio-pci transport with virtio-rng, -blk, -console, -net, -vsock or -balloon behind it: BARs, config space, MSI-X, rings";

    /// <inheritdoc />
    protected override ulong Window => VirtioPciLayout.Bar0Size + VirtioPciLayout.Bar1Size;

    /// <inheritdoc />
    protected override IVirtioTransport Attach(IVirtioDevice device, GuestMemory memory) =>
        new VirtioPciDevice(device, memory, new NullMsiSink(), new CountingInterruptLine());

    /// <inheritdoc />
    protected override void Read(IVirtioTransport transport, ulong offset, Span<byte> data)
    {
        (int bar, ulong at) = Bar(offset);
        Pci(transport).Bars[bar].Region.Read(at, data);
    }

    /// <inheritdoc />
    protected override void Write(IVirtioTransport transport, ulong offset, ReadOnlySpan<byte> data)
    {
        (int bar, ulong at) = Bar(offset);
        Pci(transport).Bars[bar].Region.Write(at, data);
    }

    /// <inheritdoc />
    protected override void OtherAccess(IVirtioTransport transport, GuestAccess access, Span<byte> data)
    {
        int offset = (int)(access.Offset % 256);
        if ((access.Extra & 4) != 0)
        {
            Pci(transport).WriteConfig(offset, data);
        }
        else
        {
            Pci(transport).ReadConfig(offset, data);
        }
    }

    /// <inheritdoc />
    protected override bool Kicks(ulong offset) =>
        offset == 0x14 || offset - VirtioPciLayout.NotifyOffset < VirtioPciLayout.NotifyMaxLength; // device_status, notify

    /// <inheritdoc />
    protected override void ResetDevice(IVirtioTransport transport) => Pci(transport).Bars[0].Region.Write(0x14, [0]);

    /// <inheritdoc />
    protected override void Detach(IVirtioTransport transport) => transport.Device.Dispose();

    private static (int Bar, ulong Offset) Bar(ulong offset) =>
        offset < VirtioPciLayout.Bar0Size ? (0, offset) : (1, offset - VirtioPciLayout.Bar0Size);

    private static VirtioPciDevice Pci(IVirtioTransport transport) => (VirtioPciDevice)transport;
}
