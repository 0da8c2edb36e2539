using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A network namespace the test makes for itself (deleted on dispose), so a guest's TAP traffic reaches only
/// addresses inside it. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), iproute2 and /dev/net/tun; fails loudly without.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetworkNamespace(string name) => Name = name;

    /// <summary>The namespace's name (<c>ip netns</c>).</summary>
    public string Name { get; }

    /// <summary>The prefix that runs a command inside the namespace (for <see cref="CliProcess.Run"/>'s wrapper).</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    /// <summary>Creates a fresh namespace with its loopback up.</summary>
    public static NetworkNamespace Create()
    {
        if (!File.Exists("/dev/net/tun"))
        {
            Assert.Fail("/dev/net/tun is missing: this test needs the tun module (modprobe tun)");
        }

        var ns = new NetworkNamespace("sharpvmm-" + Guid.NewGuid().ToString("N")[..8]);
        Ip("netns", "add", ns.Name);
        ns.Run("ip", "link", "set", "lo", "up");
        ns.Run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        ns.Run("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /// <summary>Creates a persistent TAP <paramref name="tap"/> in the namespace with the host end at
    /// <paramref name="cidr"/> (e.g. 10.0.2.2/24), up; the VMM attaches to it by name.</summary>
    public void AddTap(string tap, string cidr)
    {
        Run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        Run("ip", "addr", "add", cidr, "dev", tap);
        Run("ip", "link", "set", tap, "up");
    }

    /// <summary>The MAC address of <paramref name="device"/> in the namespace, lower case with colons.</summary>
    public string MacOf(string device) => Run("cat", $"/sys/class/net/{device}/address").Trim();

    /// <summary>Runs a command inside the namespace and returns its output; fails the test if it fails.</summary>
    public string Run(params string[] command) => Ip(["netns", "exec", Name, .. command]);

    /// <summary>
    /// Runs a command line, split at spaces (no shell: a busybox sh would run its own applets whatever PATH says),
    /// inside the namespace; fails the test if it fails.
    /// </summary>
    public string RunCommandLine(string commandLine) => Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Runs <paramref name="body"/> on a thread that joined the namespace with setns(2) (a TAP opened there is created there).</summary>
    public T RunInside<T>(Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var nsFile = File.OpenHandle($"/run/netns/{Name}");
                if (SetNs((int)nsFile.DangerousGetHandle(), CloneNewNet) != 0)
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

    /// <summary>Deletes the namespace (and the TAP in it).</summary>
    public void Dispose()
    {
        try
        {
            Ip("netns", "delete", Name);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // best effort: the namespace is only left behind
        }
    }

    private static string Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("could not start ip");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"ip {string.Join(' ', args)} did not finish within 30 s");
        }

        if (process.ExitCode != 0)
        {
            Assert.Fail($"ip {string.Join(' ', args)} failed (exit {process.ExitCode}; network namespaces and TAPs need root and iproute2): {stderr}");
        }

        return stdout.Result;
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetNs(int fd, int nstype);
}
