namespace SharpVmm.Gdb;

/// <summary>The breakpoint types of gdb's <c>Z</c> and <c>z</c> packets, by their numbers in the protocol.</summary>
public enum GdbBreakpointType
{
    /// <summary><c>Z0</c>: an <c>int3</c> written into guest memory.</summary>
    Software = 0,

    /// <summary><c>Z1</c>: an instruction breakpoint in a debug-address register.</summary>
    Hardware = 1,

    /// <summary><c>Z2</c>: stop after the guest writes the watched bytes.</summary>
    WriteWatchpoint = 2,

    /// <summary><c>Z3</c>: stop after the guest reads them; x86 has no read-only watchpoint, so it is refused.</summary>
    ReadWatchpoint = 3,

    /// <summary><c>Z4</c>: stop after the guest reads or writes them.</summary>
    AccessWatchpoint = 4,
}
