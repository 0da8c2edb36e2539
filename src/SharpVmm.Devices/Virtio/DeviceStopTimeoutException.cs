namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A device's thread did not stop within its time limit on a reset (it was busy with one long request): the reset went
/// on without it and the device is broken until the VM ends. Reported as the device's failure (<see cref="IDeviceHealth"/>);
/// the transport sets DEVICE_NEEDS_RESET (<see cref="VirtioTransportState.Reset"/>).
/// </summary>
public sealed class DeviceStopTimeoutException : Exception
{
    /// <summary>Creates the report for thread <paramref name="threadName"/>, which did not stop within <paramref name="timeout"/>.</summary>
    public DeviceStopTimeoutException(string threadName, TimeSpan timeout)
        : base($"the device thread '{threadName}' did not stop within {timeout.TotalSeconds:0.#} s of a reset; "
            + "it finishes its request on its own and the device serves nothing more")
    {
        ThreadName = threadName;
        Timeout = timeout;
    }

    /// <summary>Creates an empty report (for the usual exception constructors).</summary>
    public DeviceStopTimeoutException()
        : this("?", TimeSpan.Zero)
    {
    }

    /// <summary>Creates a report with <paramref name="message"/>.</summary>
    public DeviceStopTimeoutException(string message)
        : base(message)
    {
        ThreadName = "?";
    }

    /// <summary>Creates a report with <paramref name="message"/> and <paramref name="innerException"/>.</summary>
    public DeviceStopTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
        ThreadName = "?";
    }

    /// <summary>The device thread's name.</summary>
    public string ThreadName { get; }

    /// <summary>How long the reset waited.</summary>
    public TimeSpan Timeout { get; }
}
