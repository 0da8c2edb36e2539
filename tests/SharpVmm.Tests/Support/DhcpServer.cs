namespace SharpVmm.Tests.Support;

/// <summary>
/// busybox's udhcpd on a TAP's host end (10.0.2.2) inside a test's network namespace, leasing 10.0.2.15-20 (the address comes from a hash of the client's MAC: 52:54:00:12:34:56 gets 10.0.2.15), so a
/// guest kernel booted with <c>ip=dhcp</c> reports "my address is 10.0.2.15".
/// </summary>
public static class DhcpServer
{
    /// <summary>Starts udhcpd on <paramref name="tap"/> in <paramref name="ns"/>, its files in <paramref name="dir"/>; stopped on dispose.</summary>
    public static BackgroundProcess Start(NetworkNamespace ns, TempDirectory dir, string tap)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(dir);
        string config = dir.File("udhcpd.conf");
        File.WriteAllText(config,
            $"start 10.0.2.15\nend 10.0.2.20\ninterface {tap}\nlease_file {dir.File("leases")}\npidfile {dir.File("udhcpd.pid")}\n" +
            "option subnet 255.255.255.0\noption router 10.0.2.2\noption lease 600\n");
        File.WriteAllText(dir.File("leases"), "");
        return new BackgroundProcess("ip",
            ["netns", "exec", ns.Name, global::SharpVmm.Boot.Initramfs.BusyboxInitramfs.DefaultBusyboxPath, "udhcpd", "-f", config]);
    }
}
