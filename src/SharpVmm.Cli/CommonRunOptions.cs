using SharpVmm.Sys;
using System.CommandLine;
using SharpVmm.Cli.Parsing;

namespace SharpVmm.Cli;

/// <summary>Options every command that runs a guest shares: memory, vCPUs, tracing and limits.</summary>
internal sealed class CommonRunOptions
{
    private readonly Option<string> _memory = new("--mem", "-m") { Description = "Guest memory size, e.g. 64M, 1G (K/M/G are powers of 1024)", DefaultValueFactory = _ => "64M" };
    private readonly Option<int> _cpus = new("--cpus") { Description = "Number of vCPUs, each on its own host thread", DefaultValueFactory = _ => 1 };
    private readonly Option<bool> _traceIo = new("--trace-io") { Description = "Print every port I/O and MMIO access ('out port: P, data: D', decimal)" };
    private readonly Option<bool> _exitStats = new("--exit-stats")
    {
        Description = "At the end, print exits by reason and the 10 ports or MMIO addresses whose exits cost the VMM most time",
    };
    private readonly Option<bool> _bootTimer = new("--boot-timer")
    {
        Description = "At the end, print how long after the process started the guest's first instruction ran (the first KVM_RUN), in parts",
    };
    private readonly Option<string?> _gdb = new("--gdb")
    {
        Description = "Listen for gdb on tcp:HOST:PORT (an empty host is 127.0.0.1) or unix:PATH; gdb attaches with target remote, which stops the guest",
    };
    private readonly Option<bool> _gdbWait = new("--gdb-wait")
    {
        Description = "With --gdb: stop every vCPU before its first instruction until gdb attaches and continues (QEMU's -S)",
    };
    private readonly Option<long?> _maxExits = new("--max-exits") { Description = "Stop after N exits (exit code 0)" };
    private readonly Option<double?> _timeLimit = new("--time-limit") { Description = "Stop after this many seconds; a guest still running then ends with exit code 124, as timeout(1)" };
    private readonly Option<string> _logLevel = new("--log-level")
    {
        Description = "The least severe log messages to print on stderr: trace, debug (adds every unclaimed port and MMIO address, once each), info (adds state changes), warning, error or off",
        DefaultValueFactory = _ => "warning",
    };

    private readonly Option<string> _seccomp = SeccompOption.Create();

    private readonly bool _traceAlwaysOn;

    private CommonRunOptions(long? defaultMaxExits, bool traceIoAlwaysOn, string defaultMemory)
    {
        _traceAlwaysOn = traceIoAlwaysOn;
        _memory.DefaultValueFactory = _ => defaultMemory;

        if (defaultMaxExits is long max)
        {
            _maxExits.DefaultValueFactory = _ => max;
            _maxExits.Description = $"Stop after N exits (default {max}; exit code 0)";
        }
    }

    public static CommonRunOptions Create(long? defaultMaxExits = null, bool traceIoAlwaysOn = false, string defaultMemory = "64M") =>
        new(defaultMaxExits, traceIoAlwaysOn, defaultMemory);

    public void AddTo(Command command)
    {
        command.Options.Add(_memory);
        command.Options.Add(_cpus);
        if (!_traceAlwaysOn)
        {
            command.Options.Add(_traceIo);
        }

        command.Options.Add(_exitStats);
        command.Options.Add(_bootTimer);
        command.Options.Add(_gdb);
        command.Options.Add(_gdbWait);
        command.Options.Add(_logLevel);
        command.Options.Add(_maxExits);
        command.Options.Add(_timeLimit);
        command.Options.Add(_seccomp);
    }

    /// <summary>Whether --mem or --cpus was given (they describe the VM, which a --config-file describes alone).</summary>
    public bool SetsMachine(ParseResult parse) =>
        parse.GetResult(_memory) is { Implicit: false } || parse.GetResult(_cpus) is { Implicit: false };

    /// <summary><paramref name="machine"/> with the memory and vCPUs the options give.</summary>
    public Configuration.MachineConfig ApplyTo(Configuration.MachineConfig machine, ParseResult parse)
    {
        (ulong memory, int cpus, _, _, _) = Read(parse);
        if (memory % (1UL << 20) != 0)
        {
            throw new UsageException($"--mem must be a whole number of MiB, not {memory} bytes");
        }

        return machine with { MemSizeMib = memory >> 20, VcpuCount = cpus };
    }

    /// <summary>The limits and tracing the options give; <paramref name="traceIo"/> forces tracing on.</summary>
    public RunControls ReadControls(ParseResult parse, bool traceIo = false)
    {
        (_, _, bool trace, long? maxExits, TimeSpan? timeLimit) = Read(parse);
        string level = parse.GetValue(_logLevel)!;
        SharpVmm.Gdb.GdbEndpoint? gdb;
        try
        {
            gdb = parse.GetValue(_gdb) is string endpoint ? SharpVmm.Gdb.GdbEndpoint.Parse(endpoint) : null;
        }
        catch (FormatException ex)
        {
            throw new UsageException($"--gdb: {ex.Message}");
        }

        SeccompOption.Apply(parse.GetValue(_seccomp)!);
        bool gdbWait = parse.GetValue(_gdbWait);
        if (gdbWait && gdb is null)
        {
            throw new UsageException("--gdb-wait needs --gdb (where gdb attaches)");
        }

        return new RunControls
        {
            TraceIo = traceIo || trace || _traceAlwaysOn,
            ExitStats = parse.GetValue(_exitStats),
            BootTimer = parse.GetValue(_bootTimer),
            Gdb = gdb,
            GdbWait = gdbWait,
            MaxExits = maxExits,
            TimeLimit = timeLimit,
            LogLevel = level switch
            {
                "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
                "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
                "info" or "information" => Microsoft.Extensions.Logging.LogLevel.Information,
                "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
                "error" => Microsoft.Extensions.Logging.LogLevel.Error,
                "off" or "none" => Microsoft.Extensions.Logging.LogLevel.None,
                _ => throw new UsageException($"--log-level must be trace, debug, info, warning, error or off, not '{level}'"),
            },
        };
    }

    private (ulong Memory, int Cpus, bool TraceIo, long? MaxExits, TimeSpan? TimeLimit) Read(ParseResult parse)
    {
        long? maxExits = parse.GetValue(_maxExits);
        if (maxExits is <= 0)
        {
            throw new UsageException($"--max-exits must be at least 1, not {maxExits}");
        }

        double? seconds = parse.GetValue(_timeLimit);
        if (seconds is <= 0 or > 1e9)
        {
            throw new UsageException($"--time-limit must be a positive number of seconds, not {seconds}");
        }

        int cpus = parse.GetValue(_cpus);
        if (cpus is < 1 or > 255)
        {
            throw new UsageException($"--cpus must be between 1 and 255, not {cpus}");
        }

        return (NumberParser.ParseSize(parse.GetValue(_memory)!, "--mem"), cpus, parse.GetValue(_traceIo), maxExits,
            seconds is double s ? TimeSpan.FromSeconds(s) : null);
    }
}
