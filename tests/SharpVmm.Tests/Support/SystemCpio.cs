using System.Diagnostics;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>Reads archives back with the system's cpio (GNU cpio), an independent check of the newc writer.</summary>
public static class SystemCpio
{
    /// <summary>The lines of <c>cpio -i -t -v</c> for the archive at <paramref name="path"/>.</summary>
    public static string[] ListVerbose(string path)
    {
        var start = new ProcessStartInfo("cpio", ["-i", "-t", "-v", "--quiet", "-F", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process cpio = Process.Start(start)!;
        string output = cpio.StandardOutput.ReadToEnd();
        string errors = cpio.StandardError.ReadToEnd();
        Assert.True(cpio.WaitForExit(30_000), "cpio did not finish");
        Assert.True(cpio.ExitCode == 0, $"cpio failed ({cpio.ExitCode}): {errors}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
