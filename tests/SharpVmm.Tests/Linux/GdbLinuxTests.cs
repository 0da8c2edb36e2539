using System.Text.RegularExpressions;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The real gdb against the project's Linux kernel (its <c>vmlinux</c>, booted through PVH, with the same file as gdb's
/// symbols). <c>break start_kernel</c> is set while paging is still off: the stub writes its <c>int3</c> where the
/// kernel's ELF segments put that address. Then a backtrace, the registers, a step, a second breakpoint (<c>setup_arch</c>), and a
/// hardware watchpoint on <c>jiffies</c> that the timer interrupt trips.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class GdbLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    [Trait(TestTiers.SmokeTrait, TestTiers.SmokeDirect)] // on kvm_pvm it runs on the host's own KVM: start_kernel comes within seconds
    public void Gdb_breaks_at_start_kernel_before_paging_is_on_and_shows_a_backtrace_registers_and_a_step()
    {
        KvmTestEnvironment.RequireKvm();
        GdbBatch.RequireBreakpointsInGuests();
        var outcome = Debug(
        [
            "break start_kernel",
            "continue",
            "bt 2",
            "info registers rip cs",
            "printf \"cr0 paging: %d\\n\", ($cr0 >> 31) & 1",
            "stepi",
            "printf \"stepped: %d\\n\", $pc > (long)&start_kernel && $pc < (long)&start_kernel + 16",
            "break setup_arch",
            "continue",
            "kill",
        ]);

        GdbBatch.AssertSaid(outcome, new Regex(@"Breakpoint 1, 0xffffffff[0-9a-f]+ in start_kernel \(\)"));
        GdbBatch.AssertSaid(outcome, new Regex(@"#0  0xffffffff[0-9a-f]+ in start_kernel \(\)"));
        GdbBatch.AssertSaid(outcome, new Regex(@"rip\s+0xffffffff[0-9a-f]+\s+0xffffffff[0-9a-f]+ <start_kernel>"));
        GdbBatch.AssertSaid(outcome, new Regex(@"cs\s+0x10\s+16")); // Linux's kernel code segment
        GdbBatch.AssertSaid(outcome, "cr0 paging: 1");
        GdbBatch.AssertSaid(outcome, "stepped: 1");
        GdbBatch.AssertSaid(outcome, new Regex(@"Breakpoint 2, 0xffffffff[0-9a-f]+ in setup_arch \(\)"));
        Assert.Contains("stop requested", outcome.Vmm.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hardware_watchpoint_on_jiffies_fires_when_the_timer_ticks()
    {
        KvmTestEnvironment.RequireKvm();
        GdbBatch.RequireBreakpointsInGuests();
        if (KvmTestEnvironment.IsPvmHost)
        {
            Assert.Skip("kvm_pvm refuses watchpoints (KVM's emulator runs guest ring 0 and does not check data breakpoints); GdbStubTests checks the refusal");
        }

        var outcome = Debug(
        [
            "break start_kernel",
            "continue",
            "watch *(unsigned long *)&jiffies",
            "continue",
            "kill",
        ]);

        GdbBatch.AssertSaid(outcome, "Hardware watchpoint 2: *(unsigned long *)&jiffies");
        GdbBatch.AssertSaid(outcome, new Regex(@"Old value = \d+\s+New value = \d+", RegexOptions.Multiline));
        Assert.Contains("stop requested", outcome.Vmm.Stderr, StringComparison.Ordinal);
    }

    private static GdbBatch.Outcome Debug(string[] commands)
    {
        using var dir = new TempDirectory();
        string initrd = dir.File("initrd.cpio");
        File.WriteAllBytes(initrd, new BusyboxInitramfs { InitScript = "#!/bin/sh\necho gdb-guest-init\nwhile true; do sleep 1; done\n" }.ToArray());
        string vmlinux = GuestKernel.Vmlinux;
        return GdbBatch.Run(
            ["boot", "--kernel", vmlinux, "--initrd", initrd, "--cpus", "1", "--mem", "256M", "--append", GuestKernel.BaseCommandLine, "--time-limit", "280"],
            vmlinux, commands, Limit);
    }
}
