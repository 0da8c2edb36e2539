using Microsoft.Extensions.Logging;

namespace SharpVmm.Cli;

/// <summary>How the CLI runs a VM, beside what the VM is: limits and tracing (not part of a <see cref="Configuration.VmConfig"/>).</summary>
public sealed record RunControls
{
    /// <summary>Print every port I/O and MMIO access.</summary>
    public bool TraceIo { get; init; }

    /// <summary>Count and time exits by site and print the figures at the end (<c>--exit-stats</c>).</summary>
    public bool ExitStats { get; init; }

    /// <summary>Print the start-up times at the end (<c>--boot-timer</c>).</summary>
    public bool BootTimer { get; init; }

    /// <summary>Where the gdb stub listens (<c>--gdb</c>); null for no stub.</summary>
    public SharpVmm.Gdb.GdbEndpoint? Gdb { get; init; }

    /// <summary>Hold every vCPU before its first instruction until gdb lets it run (<c>--gdb-wait</c>).</summary>
    public bool GdbWait { get; init; }

    /// <summary>Stop after this many exits.</summary>
    public long? MaxExits { get; init; }

    /// <summary>Stop after this long.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>The least severe log messages printed on stderr (<c>--log-level</c>).</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>A logger factory that writes messages at <see cref="LogLevel"/> and above to <paramref name="error"/>.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory CreateLoggerFactory(TextWriter error) =>
        Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel).AddProvider(new StderrLoggerProvider(error)));

    /// <summary>The limits as the library takes them.</summary>
    public VmRunOptions ToRunOptions() => new() { MaxExits = MaxExits, TimeLimit = TimeLimit, StartPaused = GdbWait };
}
