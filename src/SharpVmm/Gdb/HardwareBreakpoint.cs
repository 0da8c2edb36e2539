namespace SharpVmm.Gdb;

/// <summary>A breakpoint or watchpoint held in debug-address register DR<paramref name="Slot"/>.</summary>
public readonly record struct HardwareBreakpoint(GdbBreakpointType Type, ulong Address, int Length, int Slot);
