namespace SharpVmm.Devices.Bus;

/// <summary>
/// A device with registers the bus may answer for it (<see cref="PublishedRegister"/>). The bus takes the list when the
/// device is registered and drops it when the device is unregistered.
/// </summary>
public interface IPublishesRegisters
{
    /// <summary>The device's published registers; the list does not change.</summary>
    IReadOnlyList<PublishedRegister> PublishedRegisters { get; }
}
