namespace SharpVmm.Diagnostics;

/// <summary>A device whose host-side work failed during a run: the guest saw it stop answering.</summary>
/// <param name="Device">The device, as the reports name it (e.g. <c>vda</c>, <c>virtio-net 0</c>).</param>
/// <param name="Error">What failed.</param>
public sealed record DeviceFailure(string Device, Exception Error)
{
    /// <inheritdoc />
    public override string ToString() => $"{Device}: {Error.GetType().Name}: {Error.Message}";
}
