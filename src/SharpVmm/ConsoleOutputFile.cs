using SharpVmm.Configuration;

namespace SharpVmm;

/// <summary>Opens the file a configuration sends the console's output to (<see cref="ConsoleConfig.OutputPath"/>).</summary>
internal static class ConsoleOutputFile
{
    /// <summary>Creates or truncates <paramref name="path"/>, unbuffered so that a reader sees every byte as it is written.</summary>
    /// <exception cref="VmConfigurationException">The file cannot be written.</exception>
    public static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new VmConfigurationException("console.output_path", $"cannot write {path}: {ex.Message}", ex);
        }
    }
}
