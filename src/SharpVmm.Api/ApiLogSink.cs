using Microsoft.Extensions.Logging;

namespace SharpVmm.Api;

/// <summary>
/// The VMM's log, as Firecracker's logger has it: one line per message to stderr until <c>PUT /logger</c> (or
/// <c>--log-path</c>) names a file or FIFO, from the level it sets (Error, Warning, Info, Debug, Trace, Off), with the
/// level and the origin (the category) shown when asked. It can be reconfigured while the VM runs.
/// </summary>
public sealed class ApiLogSink : ILoggerProvider
{
    private readonly Lock _lock = new();
    private TextWriter _out = Console.Error;
    private FileStream? _file;
    private LogLevel _level = LogLevel.Warning;
    private bool _showLevel;
    private bool _showOrigin;
    private string? _module;
    private bool _configured;

    /// <summary>Applies <paramref name="config"/>; a logger can be configured once, as in Firecracker.</summary>
    public void Configure(LoggerConfig config)
    {
        LogLevel level = ParseLevel(config.Level);
        lock (_lock)
        {
            if (_configured)
            {
                throw new ApiRequestException("Reinitialization of logger not allowed.");
            }

            if (config.LogPath is { } path)
            {
                try
                {
                    // O_APPEND without truncation: a FIFO's reader and an existing log both keep what was there.
                    _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new ApiRequestException($"Failed to open the log file {path}: {ex.Message}");
                }

                _out = new StreamWriter(_file) { AutoFlush = true };
            }

            _level = level;
            _showLevel = config.ShowLevel ?? false;
            _showOrigin = config.ShowLogOrigin ?? false;
            _module = config.Module;
            _configured = true;
        }
    }

    /// <summary>A factory whose loggers write here; the sink's own level and module filter decide what is written.</summary>
    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            if (_file is not null)
            {
                _out.Dispose();
                _file = null;
                _out = TextWriter.Null;
            }
        }
    }

    /// <summary>Parses Firecracker's level names, in any case; null is Info.</summary>
    public static LogLevel ParseLevel(string? level) => level?.ToLowerInvariant() switch
    {
        null or "info" => LogLevel.Information,
        "error" => LogLevel.Error,
        "warning" or "warn" => LogLevel.Warning,
        "debug" => LogLevel.Debug,
        "trace" => LogLevel.Trace,
        "off" => LogLevel.None,
        _ => throw new ApiRequestException($"Invalid log level '{level}': use Error, Warning, Info, Debug, Trace or Off."),
    };

    private bool Enabled(LogLevel level, string category) =>
        level >= _level && level != LogLevel.None && (_module is null || category.StartsWith(_module, StringComparison.Ordinal));

    private void Write(LogLevel level, string category, string message)
    {
        lock (_lock)
        {
            if (!Enabled(level, category))
            {
                return;
            }

            string prefix = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} [{Environment.ProcessId}]";
            if (_showLevel)
            {
                prefix += $":{level.ToString().ToUpperInvariant()}";
            }

            if (_showOrigin)
            {
                prefix += $":{category}";
            }

            _out.WriteLine($"{prefix} {message}");
        }
    }

    private sealed class Logger(ApiLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => sink.Enabled(logLevel, category);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Write(logLevel, category, formatter(state, exception));
    }
}
