using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A private network namespace (<c>ip netns add sharpvmm-test-*</c>), deleted on dispose, so network tests only ever
/// talk to addresses inside it. Code runs inside it on a dedicated thread that joined it with setns(2).
/// </summary>
internal sealed class TapNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;

    private TapNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates a namespace; skips the test with "needs root" when it cannot.</summary>
    public static TapNamespace Create()
    {
        if (Environment.UserName != "root" && GetEuid() != 0)
        {
            Assert.Skip("needs root: creates a network namespace and a TAP device (run the tests as root)");
        }

        if (!File.Exists("/dev/net/tun"))
        {
            Assert.Skip("needs /dev/net/tun (modprobe tun)");
        }

        string name = $"sharpvmm-test-{Guid.NewGuid().ToString("N")[..8]}";
        Ip($"netns add {name}");
        var ns = new TapNamespace(name);
        ns.Exec("ip link set lo up");
        ns.Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
        ns.Exec("sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>); fails the test if it fails.</summary>
    public string Exec(string command) => Ip($"netns exec {Name} {command}");

    /// <summary>Runs <paramref name="body"/> on a thread that joined the namespace and returns its result.</summary>
    public T RunInside<T>(Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var nsFile = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNs((int)nsFile.DangerousGetHandle(), CLONE_NEWNET) != 0)
                {
                    throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = body();
            }
#pragma warning disable CA1031 // rethrown on the test thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        return error is null ? result : throw new AggregateException(error);
    }

    public void Dispose() => Ip($"netns delete {Name}");

    private static string Ip(string args)
    {
        using var process = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ip {args} failed: {stderr}");
        return stdout;
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetNs(int fd, int nstype);

    [DllImport("libc", EntryPoint = "geteuid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint GetEuid();
}
