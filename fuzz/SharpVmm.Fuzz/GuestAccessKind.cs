namespace SharpVmm.Fuzz;

/// <summary>What an <see cref="AccessScript"/> operation does.</summary>
public enum GuestAccessKind
{
    /// <summary>The guest reads.</summary>
    Read = 0,

    /// <summary>The guest writes.</summary>
    Write = 1,

    /// <summary>The harness's own action (time passes, a notification is served, host input arrives).</summary>
    Action = 2,

    /// <summary>A second encoding of a write, so that half of all operations write.</summary>
    WriteAgain = 3,
}
