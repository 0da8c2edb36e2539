namespace SharpVmm.Exits;

/// <summary>What to do about an instruction KVM's emulator could not run.</summary>
public enum EmulationActionKind
{
    /// <summary>Load <see cref="EmulationAction.Registers"/> (and any MXCSR or memory update) and run on.</summary>
    Resume,
    /// <summary>Load <see cref="EmulationAction.Registers"/>, inject <see cref="EmulationAction.Vector"/>, and run on.</summary>
    InjectException,
    /// <summary>The VMM cannot handle it either: stop the VM with <see cref="EmulationAction.Message"/>.</summary>
    Stop,
}
