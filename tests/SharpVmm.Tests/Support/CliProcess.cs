using System.Diagnostics;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>Runs the sharpvmm CLI (the build next to the tests) as a separate process, with a timeout.</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static readonly Lazy<string> SharedCopy = new(() =>
    {
        // Another user may not be able to read the build folder (a clone under a 0700 temp directory, say),
        // so that user runs a copy in a folder everyone can read.
        string dir = Path.Combine(Path.GetTempPath(), $"sharpvmm-cli-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(dir, Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        foreach (string file in Directory.EnumerateFiles(AppContext.BaseDirectory)
            .Where(f => f.EndsWith(".dll", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("SharpVmm.Cli.", StringComparison.Ordinal)))
        {
            string target = Path.Combine(dir, Path.GetFileName(file));
            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, Readable);
        }

        return dir;
    });

    private static string WorldReadableCopy() => SharedCopy.Value;

    /// <summary>
    /// How to start the CLI with <paramref name="args"/> (<c>dotnet SharpVmm.Cli.dll ...</c>), as another user or inside a
    /// wrapper such as <c>ip netns exec NS</c>; stdout and stderr redirected.
    /// </summary>
    public static ProcessStartInfo CreateStartInfo(IReadOnlyList<string> args, IDictionary<string, string>? environment = null, string? runAsUser = null,
        IReadOnlyList<string>? wrapper = null)
    {
        string dll = Path.Combine(runAsUser is null ? AppContext.BaseDirectory : WorldReadableCopy(), "SharpVmm.Cli.dll");
        string dotnet = Dotnet;
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true };
        if (runAsUser is not null)
        {
            psi.FileName = "setpriv";
            foreach (string a in new[] { $"--reuid={runAsUser}", $"--regid={runAsUser}", "--clear-groups", dotnet, dll })
            {
                psi.ArgumentList.Add(a);
            }
        }
        else if (wrapper is { Count: > 0 })
        {
            // e.g. "ip netns exec NS": the CLI runs inside whatever the wrapper sets up
            psi.FileName = wrapper[0];
            foreach (string a in wrapper.Skip(1).Append(dotnet).Append(dll))
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi.FileName = dotnet;
            psi.ArgumentList.Add(dll);
        }

        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        return psi;
    }

    public static Result Run(string[] args, IDictionary<string, string>? environment = null, string? runAsUser = null, TimeSpan? timeout = null,
        string? stdin = null, IReadOnlyList<string>? wrapper = null)
    {
        ProcessStartInfo psi = CreateStartInfo(args, environment, runAsUser, wrapper);
        psi.RedirectStandardInput = true;
        using var process = Process.Start(psi)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return Collect(process, $"sharpvmm {string.Join(' ', args)}", timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Reads a started process's redirected stdout and stderr to the end and waits for it to exit; past <paramref name="limit"/>
    /// it kills the process tree and fails the test, naming the process <paramref name="what"/>.
    /// </summary>
    public static Result Collect(Process process, string what, TimeSpan limit)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{what} did not finish within {limit}");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The dotnet host running the tests, else the one on PATH.</summary>
    public static string Dotnet => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>
    /// Runs <paramref name="file"/> (dotnet, an installed tool) in <paramref name="workingDirectory"/> and fails the test
    /// unless it exits with 0 within <paramref name="limit"/>. DOTNET_ROOT points at the running dotnet, so an installed
    /// tool's apphost finds the runtime where dotnet is not in a standard place.
    /// </summary>
    public static Result RunProgram(string file, string[] args, string workingDirectory, TimeSpan limit,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.IsPathRooted(Dotnet) && Environment.GetEnvironmentVariable("DOTNET_ROOT") is null)
        {
            psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Dotnet);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        var result = Collect(process, $"{file} {string.Join(' ', args)}", limit);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }
}
