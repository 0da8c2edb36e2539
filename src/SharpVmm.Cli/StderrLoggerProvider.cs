using Microsoft.Extensions.Logging;

namespace SharpVmm.Cli;

/// <summary>
/// Writes log messages to the CLI's error stream at once, one line each (<c>sharpvmm: warning: ...</c>), in order with
/// the CLI's own lines: the console provider's background queue would interleave them with the report at exit.
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter error) : ILoggerProvider
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        string name = level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
        lock (_lock)
        {
            error.WriteLine($"sharpvmm: {name}: {message}");
            if (exception is not null && level >= LogLevel.Error && exception.StackTrace is { } trace)
            {
                error.WriteLine(trace);
            }
        }
    }

    private sealed class Logger(StderrLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Write(logLevel, formatter(state, exception), exception);
    }
}
