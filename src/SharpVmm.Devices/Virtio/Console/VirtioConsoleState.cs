namespace SharpVmm.Devices.Virtio.Console;

/// <summary>
/// The runtime state of a <see cref="VirtioConsoleDevice"/> beyond its transport and queue positions
/// (<see cref="VirtioConsoleDevice.SaveState"/>): host input the guest has not received yet.
/// </summary>
public sealed record VirtioConsoleState
{
    /// <summary>Input bytes waiting for receive buffers, oldest first (at most <see cref="VirtioConsoleDevice.InputBufferSize"/>).</summary>
    public byte[] PendingInput { get; set; } = [];
}
