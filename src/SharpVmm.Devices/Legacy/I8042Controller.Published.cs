using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

// The status register, published to the bus (IPublishesRegisters): reading it changes nothing, and Linux's i8042 driver
// polls it before every byte it sends or takes (about 120 reads while it probes the controller at boot).
public sealed partial class I8042Controller : IPublishesRegisters
{
    /// <inheritdoc />
    /// <remarks>The status register at <see cref="StatusCommandOffset"/>, for the controller registered as the
    /// <see cref="PortCount"/>-port window; <see cref="StatusCommandPort"/> publishes the same register at its own offset
    /// 0.</remarks>
    public IReadOnlyList<PublishedRegister> PublishedRegisters { get; } = [new PublishedRegister(StatusCommandOffset)];

    /// <summary>The register <see cref="StatusCommandPort"/> publishes (offset 0 of its one port).</summary>
    internal PublishedRegister StatusAlone { get; } = new(0);

    // Under _lock, after every change (UpdateInterrupts runs after each): the status a read would return now.
    private void PublishStatus()
    {
        byte status = ReadStatus();
        PublishedRegisters[0].Publish(status);
        StatusAlone.Publish(status);
    }
}
