namespace SharpVmm.Devices;

/// <summary>
/// A saved device state that a device refuses to restore: a field out of range, an array of the wrong size, or a state
/// that does not belong to a device built this way. The message names the device and the field. The device is left as
/// it was: every field is checked before any is applied.
/// </summary>
public sealed class DeviceStateException : Exception
{
    /// <summary>Creates the exception without a message.</summary>
    public DeviceStateException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public DeviceStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public DeviceStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for field <paramref name="field"/> of device <paramref name="device"/>.</summary>
    public DeviceStateException(string device, string field, string problem)
        : base($"{device} state: {field} {problem}")
    {
        Device = device;
        Field = field;
    }

    /// <summary>The device whose state was refused, when known.</summary>
    public string? Device { get; }

    /// <summary>The field that was refused, when known.</summary>
    public string? Field { get; }

    /// <summary>Throws for <paramref name="field"/> of <paramref name="device"/> unless <paramref name="valid"/>.</summary>
    internal static void Require(bool valid, string device, string field, string problem)
    {
        if (!valid)
        {
            throw new DeviceStateException(device, field, problem);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is present (a state record with a field left null).</summary>
    internal static T Present<T>(T? value, string device, string field)
        where T : class =>
        value ?? throw new DeviceStateException(device, field, "is missing");
}
