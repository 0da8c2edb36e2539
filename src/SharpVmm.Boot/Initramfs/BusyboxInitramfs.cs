using System.Text;

namespace SharpVmm.Boot.Initramfs;

/// <summary>
/// Writes a minimal initramfs around a statically linked busybox (Debian's <c>busybox-static</c>): the usual top-level
/// folders, <c>/dev/console</c>, busybox with links for the applets a shell session needs, and an <c>/init</c>
/// script, which callers replace to make the guest do what they want.
/// </summary>
public sealed class BusyboxInitramfs
{
    /// <summary>Where Debian's busybox-static installs the binary.</summary>
    public const string DefaultBusyboxPath = "/bin/busybox";

    /// <summary>
    /// The default <c>/init</c>: mounts /proc, /sys and /dev, says hello on the console, and starts an interactive
    /// shell; leaving the shell reboots, which ends the VMM.
    /// </summary>
    public const string DefaultInitScript =
        "#!/bin/sh\n" +
        "mount -t proc proc /proc\n" +
        "mount -t sysfs sysfs /sys\n" +
        "mount -t devtmpfs devtmpfs /dev 2>/dev/null\n" +
        "echo \"SharpVmm guest: Linux $(uname -r), $(nproc) CPU(s), $(grep MemTotal /proc/meminfo)\"\n" +
        "echo 'Type exit (or Ctrl-D) to reboot, which ends the VMM.'\n" +
        "setsid cttyhack sh -l\n" +
        "reboot -f\n";

    /// <summary>Applets linked into /bin (busybox decides by its name which one runs).</summary>
    public static IReadOnlyList<string> Applets { get; } =
    [
        "sh", "ash", "cat", "cttyhack", "dmesg", "echo", "grep", "head", "ip", "ls", "mkdir", "mount", "nproc", "poweroff",
        "ps", "reboot", "sed", "setsid", "sleep", "sync", "tail", "udhcpc", "umount", "uname", "dd", "sha256sum", "wc",
    ];

    /// <summary>The busybox binary to include.</summary>
    public string BusyboxPath { get; init; } = DefaultBusyboxPath;

    /// <summary>The <c>/init</c> script (or program) the kernel runs first.</summary>
    public string InitScript { get; init; } = DefaultInitScript;

    /// <summary>More files to add, by absolute guest path (their folders must exist or be added first).</summary>
    public IReadOnlyDictionary<string, byte[]> ExtraFiles { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>Writes the archive (uncompressed newc cpio) to <paramref name="output"/>.</summary>
    /// <exception cref="BootImageException">The busybox binary is missing or unreadable.</exception>
    public void WriteTo(Stream output)
    {
        byte[] busybox = RawImageLoader.ReadFile(BusyboxPath, "busybox binary (install Debian's busybox-static)");
        using var cpio = new CpioArchiveWriter(output, leaveOpen: true);
        foreach (string dir in new[] { "bin", "dev", "etc", "proc", "root", "sys", "tmp", "mnt" })
        {
            cpio.AddDirectory(dir);
        }

        cpio.AddCharacterDevice("dev/console", 5, 1);
        cpio.AddCharacterDevice("dev/null", 1, 3, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead |
            UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        cpio.AddFile("bin/busybox", busybox, Executable);
        foreach (string applet in Applets)
        {
            cpio.AddSymlink($"bin/{applet}", "busybox");
        }

        cpio.AddFile("init", Encoding.UTF8.GetBytes(InitScript), Executable);
        foreach ((string path, byte[] data) in ExtraFiles.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            cpio.AddFile(path.TrimStart('/'), data, Executable);
        }

        cpio.Finish();
    }

    /// <summary>The archive as bytes.</summary>
    public byte[] ToArray()
    {
        using var buffer = new MemoryStream();
        WriteTo(buffer);
        return buffer.ToArray();
    }
}
