using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Memory;

namespace SharpVmm.Fuzz.Targets;

/// <summary>virtio-mmio (<see cref="VirtioMmioDevice"/>) with a real device behind it: accesses anywhere in its window.</summary>
public sealed class VirtioMmioTarget : VirtioTransportTarget
{
    /// <inheritdoc />
    public override string Name => "virtio-mmio";

    /// <inheritdoc />
    public override string Description => "virtio-mmio transport with virtio-rng, -blk, -console, -net, -vsock or -balloon behind it: registers, rings, notifications";

    /// <inheritdoc />
    protected override ulong Window => VirtioMmioDevice.WindowSize;

    /// <inheritdoc />
    protected override IVirtioTransport Attach(IVirtioDevice device, GuestMemory memory) =>
        new VirtioMmioDevice(device, memory, new CountingInterruptLine());

    /// <inheritdoc />
    protected override void Read(IVirtioTransport transport, ulong offset, Span<byte> data) => Mmio(transport).Read(offset, data);

    /// <inheritdoc />
    protected override void Write(IVirtioTransport transport, ulong offset, ReadOnlySpan<byte> data) => Mmio(transport).Write(offset, data);

    /// <inheritdoc />
    protected override bool Kicks(ulong offset) => offset is VirtioMmioRegister.QueueNotify or VirtioMmioRegister.Status;

    /// <inheritdoc />
    protected override void ResetDevice(IVirtioTransport transport) => Mmio(transport).Write(VirtioMmioRegister.Status, [0, 0, 0, 0]);

    /// <inheritdoc />
    protected override void Detach(IVirtioTransport transport) => Mmio(transport).Dispose();

    private static VirtioMmioDevice Mmio(IVirtioTransport transport) => (VirtioMmioDevice)transport;
}
