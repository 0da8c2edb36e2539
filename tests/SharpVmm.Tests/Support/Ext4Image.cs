using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>ext4 images made and inspected on the host with e2fsprogs (mkfs.ext4, dumpe2fs), for the virtio-blk tests.</summary>
public static partial class Ext4Image
{
    /// <summary>What the superblock says about mounts.</summary>
    public sealed record MountRecord(int MountCount, string LastMountTime);

    /// <summary>Creates an ext4 file system of <paramref name="megabytes"/> MiB in a new file <paramref name="path"/>,
    /// optionally populated from <paramref name="contents"/> (mkfs.ext4 -d).</summary>
    public static void Create(string path, int megabytes, string? contents = null)
    {
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.SetLength((long)megabytes << 20);
        }

        var args = new List<string> { "-q", "-F", "-t", "ext4", "-L", "sharpvmm" };
        if (contents is not null)
        {
            args.AddRange(["-d", contents]);
        }

        args.Add(path);
        Run(Tool("mkfs.ext4"), args);
    }

    /// <summary>Reads the mount count and last-mount time from the superblock (dumpe2fs -h).</summary>
    public static MountRecord ReadMountRecord(string path)
    {
        string header = Run(Tool("dumpe2fs"), ["-h", path]);
        Match count = MountCountLine().Match(header);
        Match time = LastMountLine().Match(header);
        Assert.True(count.Success && time.Success, $"dumpe2fs -h {path} printed no mount count or last mount time:\n{header}");
        return new MountRecord(int.Parse(count.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), time.Groups[1].Value.Trim());
    }

    /// <summary>Reads a file out of the image without mounting it (debugfs -R cat).</summary>
    public static byte[] ReadFile(string image, string pathInImage)
    {
        string temp = Path.GetTempFileName();
        try
        {
            Run(Tool("debugfs"), ["-R", $"dump {pathInImage} {temp}", image]);
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The names in a folder of the image, without <c>.</c> and <c>..</c> (debugfs -R "ls -p").</summary>
    public static IReadOnlyList<string> ListDirectory(string image, string pathInImage)
    {
        // Each entry is a line "/INODE/MODE/UID/GID/NAME/SIZE/".
        string listing = Run(Tool("debugfs"), ["-R", $"ls -p {pathInImage}", image]);
        return [.. listing.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('/'))
            .Where(fields => fields.Length > 5 && fields[5] is not ("." or ".."))
            .Select(fields => fields[5])];
    }

    /// <summary>
    /// Replays the journal and checks the file system (e2fsck -fy), as a mount after a crash would: a guest killed
    /// after <c>sync</c> may have its metadata only in the journal, which <see cref="ReadFile"/> (debugfs) does not read.
    /// Fails the test when e2fsck finds damage it cannot correct (exit 4 or more).
    /// </summary>
    public static string Recover(string path) => Run(Tool("e2fsck"), ["-fy", path], highestGoodExit: 1);

    private static string Tool(string name)
    {
        string[] searchPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string dir in searchPath.Concat(["/usr/sbin", "/sbin"]))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"{name} is not installed (Debian package e2fsprogs; ./run-tests installs it)");
        return name;
    }

    private static string Run(string tool, IEnumerable<string> args, int highestGoodExit = 0)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            Assert.Fail($"{tool} did not finish within 60 s");
        }

        Assert.True(process.ExitCode >= 0 && process.ExitCode <= highestGoodExit, $"{tool} {string.Join(' ', psi.ArgumentList)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    [GeneratedRegex(@"^Mount count:\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex MountCountLine();

    [GeneratedRegex(@"^Last mount time:\s+(.*)$", RegexOptions.Multiline)]
    private static partial Regex LastMountLine();
}
