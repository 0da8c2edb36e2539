namespace SharpVmm.Fuzz;

/// <summary>One operation of an <see cref="AccessScript"/>.</summary>
/// <param name="Kind">Read, write or the harness's action (<see cref="GuestAccessKind.WriteAgain"/> is reported as a write).</param>
/// <param name="Width">1, 2, 4 or 8 bytes.</param>
/// <param name="Offset">The offset in the device's window.</param>
/// <param name="Extra">The operation byte's upper four bits, for the harness's own use.</param>
public readonly record struct GuestAccess(GuestAccessKind Kind, int Width, ulong Offset, byte Extra)
{
    /// <summary>Whether the access writes.</summary>
    public bool IsWrite => Kind is GuestAccessKind.Write or GuestAccessKind.WriteAgain;
}
