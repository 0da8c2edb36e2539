namespace SharpVmm.Cli.Terminal;

/// <summary>Console escape commands a <see cref="SerialEscapeFilter"/> recognised in the input.</summary>
[Flags]
public enum SerialEscapeRequests
{
    /// <summary>No command.</summary>
    None = 0,

    /// <summary>Ctrl-A x: stop the VM and exit.</summary>
    Quit = 1,

    /// <summary>Ctrl-A h (or ?): print <see cref="SerialEscapeFilter.HelpText"/>.</summary>
    Help = 2,

    /// <summary>Ctrl-A b: send a break to the guest's serial port (magic SysRq on Linux).</summary>
    Break = 4,
}
