namespace SharpVmm.Devices.Bus;

/// <summary>A device's claim on a bus: [<see cref="Base"/>, <see cref="Base"/> + <see cref="Length"/>).</summary>
/// <param name="Base">First address claimed.</param>
/// <param name="Length">Number of addresses claimed (non-zero).</param>
/// <param name="Device">The device that answers.</param>
public sealed record BusRange(ulong Base, ulong Length, IBusDevice Device)
{
    /// <summary>Last address claimed (inclusive).</summary>
    public ulong Last => Base + Length - 1;
}
