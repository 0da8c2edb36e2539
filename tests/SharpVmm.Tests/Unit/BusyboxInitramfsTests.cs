using SharpVmm.Boot;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class BusyboxInitramfsTests
{
    [Fact]
    public void The_archive_holds_busybox_its_applet_links_the_console_node_and_init()
    {
        string busybox = Path.GetTempFileName();
        string archive = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(busybox, "\x7fELF fake busybox"u8.ToArray());
            File.WriteAllBytes(archive, new BusyboxInitramfs { BusyboxPath = busybox, InitScript = "#!/bin/sh\necho hi\n" }.ToArray());

            string[] lines = SystemCpio.ListVerbose(archive);

            Assert.Contains(lines, l => l.StartsWith("crw-------", StringComparison.Ordinal) && l.EndsWith(" dev/console", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" bin/busybox", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.EndsWith(" bin/sh -> busybox", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.EndsWith(" bin/reboot -> busybox", StringComparison.Ordinal));
            string init = Assert.Single(lines, l => l.EndsWith(" init", StringComparison.Ordinal));
            Assert.Matches(@"^-rwxr-xr-x\s+1 root\s+root\s+18 ", init);
            Assert.Equal(BusyboxInitramfs.Applets.Count, lines.Count(l => l.EndsWith(" -> busybox", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(busybox);
            File.Delete(archive);
        }
    }

    [Fact]
    public void A_missing_busybox_says_which_package_provides_it()
    {
        var ex = Assert.Throws<BootImageException>(() => new BusyboxInitramfs { BusyboxPath = "/no/such/busybox" }.ToArray());

        Assert.Equal(BootImageError.Missing, ex.Error);
        Assert.Contains("busybox-static", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_init_mounts_the_kernel_file_systems_and_reboots_when_the_shell_ends()
    {
        string init = BusyboxInitramfs.DefaultInitScript;

        Assert.StartsWith("#!/bin/sh\n", init, StringComparison.Ordinal);
        Assert.Contains("mount -t proc proc /proc", init, StringComparison.Ordinal);
        Assert.EndsWith("reboot -f\n", init, StringComparison.Ordinal);
    }
}
