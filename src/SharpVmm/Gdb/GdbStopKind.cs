namespace SharpVmm.Gdb;

/// <summary>Why the guest stopped, as the stub reports it to gdb.</summary>
public enum GdbStopKind
{
    /// <summary>A single step ended, the VM was stopped when gdb attached, or a debug exception the stub did not ask for.</summary>
    Trap,

    /// <summary>The user pressed Ctrl-C in gdb (SIGINT).</summary>
    Interrupt,

    /// <summary>A vCPU reached one of gdb's <c>int3</c> breakpoints.</summary>
    SoftwareBreakpoint,

    /// <summary>A vCPU reached an instruction breakpoint in a debug register.</summary>
    HardwareBreakpoint,

    /// <summary>A vCPU wrote watched bytes.</summary>
    WriteWatchpoint,

    /// <summary>A vCPU read or wrote watched bytes.</summary>
    AccessWatchpoint,
}
