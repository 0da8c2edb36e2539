using System.Diagnostics;

namespace SharpVmm.Tests.Support;

/// <summary>A helper process a test runs beside the guest (a DHCP server, say); killed, with its children, on dispose.</summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;

    public BackgroundProcess(string fileName, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public void Dispose() => Stop(_process);

    /// <summary>Kills <paramref name="process"/> and its children if it is still running, and disposes of it.</summary>
    public static void Stop(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
    }
}
