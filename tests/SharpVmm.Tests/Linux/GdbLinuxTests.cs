using System.Text.RegularExpressions;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The real gdb against the project's Linux kernel (its <c>vmlinux</c>, booted through PVH, with the same file as gdb's
/// symbols): <c>break start_kernel</c> is set while paging is still off, so the stub puts it in a debug register;
/// then a backtrace, the registers, and a hardware watchpoint on <c>jiffies</c> that the timer interrupt trips.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class GdbLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public void Gdb_breaks_at_start_kernel_shows_a_backtrace_and_registers_and_a_watchpoint_on_jiffies_fires()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string initrd = dir.File("initrd.cpio");
        File.WriteAllBytes(initrd, new BusyboxInitramfs { InitScript = "#!/bin/sh\necho gdb-guest-init\nwhile true; do sleep 1; done\n" }.ToArray());
        string vmlinux = GuestKernel.Vmlinux;

        var outcome = GdbBatch.Run(
            ["boot", "--kernel", vmlinux, "--initrd", initrd, "--cpus", "1", "--mem", "256M", "--append", GuestKernel.BaseCommandLine, "--time-limit", "280"],
            vmlinux,
            [
                "break start_kernel",
                "continue",
                "bt 2",
                "info registers rip cs",
                "printf \"cr0 paging: %d\\n\", ($cr0 >> 31) & 1",
                "delete",
                "watch *(unsigned long *)&jiffies",
                "continue",
                "kill",
            ], Limit);

        GdbBatch.AssertSaid(outcome, new Regex(@"Breakpoint 1, 0xffffffff[0-9a-f]+ in start_kernel \(\)"));
        GdbBatch.AssertSaid(outcome, new Regex(@"#0  0xffffffff[0-9a-f]+ in start_kernel \(\)"));
        GdbBatch.AssertSaid(outcome, new Regex(@"rip\s+0xffffffff[0-9a-f]+\s+0xffffffff[0-9a-f]+ <start_kernel(\+\d+)?>"));
        GdbBatch.AssertSaid(outcome, new Regex(@"cs\s+0x10\s+16")); // Linux's kernel code segment
        GdbBatch.AssertSaid(outcome, "cr0 paging: 1");
        GdbBatch.AssertSaid(outcome, "Hardware watchpoint 2: *(unsigned long *)&jiffies");
        GdbBatch.AssertSaid(outcome, new Regex(@"Old value = \d+\s+New value = \d+", RegexOptions.Multiline));
        Assert.Contains("stop requested", outcome.Vmm.Stderr, StringComparison.Ordinal);
    }
}
