namespace SharpVmm.Exits;

/// <summary>What the vCPU loop does after an exit was handled.</summary>
public enum ExitDisposition
{
    /// <summary>Enter the guest again.</summary>
    Continue,
    /// <summary>This vCPU halted; its thread ends normally.</summary>
    Halt,
    /// <summary>The exit is fatal: stop the whole VM and report.</summary>
    Fatal,
}
