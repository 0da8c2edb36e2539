namespace SharpVmm;

/// <summary>
/// What a device may ask of the machine it belongs to: end the run as a reset, a power-off or a debug exit, or park
/// the vCPUs for ACPI S3 and wake them. The <see cref="VirtualMachine"/> is this control; it exists before any device
/// is built (<see cref="VmDevices.Control"/>), so a device is given it in its constructor. Every member is callable
/// from any thread: a vCPU's (the guest's own write), a device's, or a timer's.
/// </summary>
public interface IVmControl
{
    /// <summary>Ends the run as a guest reset (<see cref="VmStopReason.GuestReset"/>); <paramref name="source"/> says what asked.</summary>
    void RequestReset(string source);

    /// <summary>Ends the run as a guest power-off (<see cref="VmStopReason.GuestPowerOff"/>); <paramref name="source"/> says what asked.</summary>
    void RequestPowerOff(string source);

    /// <summary>Ends the run with the guest's exit <paramref name="status"/> (<see cref="VmStopReason.GuestDebugExit"/>).</summary>
    void RequestDebugExit(int status);

    /// <summary>Whether the guest is suspended to RAM (its vCPUs parked off <c>KVM_RUN</c>).</summary>
    bool IsSuspended { get; }

    /// <summary>Parks every vCPU for ACPI S3; memory and devices stay as they are.</summary>
    void Suspend();

    /// <summary>
    /// Wakes a suspended guest at a real-mode <paramref name="vector"/>, as firmware does after S3; false when it was not
    /// suspended or its vCPUs did not park in time.
    /// </summary>
    bool WakeAtRealModeVector(uint vector);
}
