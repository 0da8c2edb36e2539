namespace SharpVmm.Exits;

/// <summary>The result of dispatching one exit.</summary>
/// <param name="Disposition">What the loop does next.</param>
/// <param name="StopReason">For <see cref="ExitDisposition.Fatal"/>, why.</param>
/// <param name="Detail">For fatal exits, a short description (exit name and exit-specific fields).</param>
public readonly record struct ExitOutcome(ExitDisposition Disposition, VmStopReason StopReason = default, string? Detail = null)
{
    /// <summary>Continue running.</summary>
    public static ExitOutcome Continue => default;

    /// <summary>The vCPU halted.</summary>
    public static ExitOutcome Halt => new(ExitDisposition.Halt);

    /// <summary>A fatal exit.</summary>
    public static ExitOutcome Fatal(VmStopReason reason, string detail) => new(ExitDisposition.Fatal, reason, detail);
}
