using SharpVmm.Configuration;

namespace SharpVmm;

/// <summary>Opens the file a configuration sends the console's output to (<see cref="ConsoleConfig.OutputPath"/>).</summary>
internal static class ConsoleOutputFile
{
    /// <summary>Creates or truncates the console's file (<see cref="ConsoleConfig.OutputPath"/>), unbuffered so that a
    /// reader sees every byte as it is written, capped at <see cref="ConsoleConfig.OutputLimitBytes"/>; null when the
    /// console writes to the host's stream.</summary>
    /// <exception cref="VmConfigurationException">The file cannot be written.</exception>
    public static CappedOutputStream? Open(ConsoleConfig console)
    {
        if (console.OutputPath is not { } path)
        {
            return null;
        }

        try
        {
            return new CappedOutputStream(
                new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1), console.OutputLimitBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new VmConfigurationException("console.output_path", $"cannot write {path}: {ex.Message}", ex);
        }
    }
}
