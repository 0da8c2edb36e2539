namespace SharpVmm.Devices.Bus;

/// <summary>
/// A device with a free-running counter that code outside the runtime may answer for it (<see cref="PublishedCounter"/>),
/// while the device counts with the host's <c>CLOCK_MONOTONIC</c>.
/// </summary>
public interface IPublishesCounter
{
    /// <summary>The device's published counter, or null while it counts with another clock (a test's).</summary>
    PublishedCounter? PublishedCounter { get; }
}
