namespace SharpVmm.Devices;

/// <summary>An interrupt line connected to nothing, for machines without an interrupt controller.</summary>
public sealed class NullInterruptLine : IInterruptLine
{
    /// <summary>The shared instance.</summary>
    public static NullInterruptLine Instance { get; } = new();

    /// <inheritdoc />
    public void SetLevel(bool high)
    {
    }
}
