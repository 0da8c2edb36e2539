using System.Text.RegularExpressions;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// The real gdb, in batch mode, against <c>sharpvmm boot --gdb ... --gdb-wait</c> running the Multiboot test kernel
/// (2 vCPUs, paging off, 32-bit: the stub describes an i386 register set): software and hardware breakpoints, registers,
/// memory, single steps, a write watchpoint, threads, and the guest's own exit reported to gdb.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class GdbStubTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private static string[] Boot(string kernel) =>
        ["boot", "--kernel", kernel, "--cpus", "2", "--mem", "128M", "--append", "mem=128 cpus=2 exit=debug", "--time-limit", "100"];

    [Fact]
    public void Gdb_stops_at_a_breakpoint_reads_registers_and_memory_steps_and_sees_the_guest_exit()
    {
        KvmTestEnvironment.RequireKvm();
        GdbBatch.RequireBreakpointsInGuests();
        string kernel = TestKernel.Path;

        var outcome = GdbBatch.Run(Boot(kernel), kernel,
        [
            "info threads",
            "break kmain",
            "continue",
            "printf \"at kmain: %d\\n\", $pc == (long)&kmain",
            "printf \"magic: 0x%x\\n\", *(unsigned int *)($esp + 4)",
            "printf \"first code byte: 0x%x\\n\", *(unsigned char *)&kmain",
            "stepi",
            "printf \"after stepi: %d\\n\", $pc != (long)&kmain",
            "delete",
            "continue",
        ], Limit);

        GdbBatch.AssertSaid(outcome, new Regex(@"\* 1\s+Thread 1")); // the boot vCPU, then the AP
        GdbBatch.AssertSaid(outcome, new Regex(@"\s2\s+Thread 2"));
        GdbBatch.AssertSaid(outcome, "Breakpoint 1, ");
        GdbBatch.AssertSaid(outcome, "at kmain: 1");
        GdbBatch.AssertSaid(outcome, "magic: 0x2badb002"); // kmain's first argument: Multiboot's hand-off
        Assert.False(outcome.Gdb.Contains("first code byte: 0xcc", StringComparison.Ordinal), outcome.Describe()); // gdb's int3 is out of memory while it looks
        GdbBatch.AssertSaid(outcome, "after stepi: 1");
        GdbBatch.AssertSaid(outcome, "[Inferior 1 (Remote target) exited with code 041]"); // 33, in gdb's octal
        Assert.Equal(33, outcome.Vmm.ExitCode);
        Assert.Contains("smp ok 2 cpus", outcome.Vmm.Stdout, StringComparison.Ordinal); // the guest ran on as if never stopped
    }

    [Fact]
    public void A_hardware_watchpoint_stops_the_guest_where_it_writes_the_variable_or_is_refused_with_the_reason_on_kvm_pvm()
    {
        KvmTestEnvironment.RequireKvm();
        GdbBatch.RequireBreakpointsInGuests();
        string kernel = TestKernel.Path;

        var outcome = GdbBatch.Run(Boot(kernel), kernel,
        [
            "watch *(unsigned int *)&ap_count",
            "continue",
            "printf \"ap_count now %d\\n\", *(unsigned int *)&ap_count",
            "delete",
            "hbreak check_virtio",
            "continue",
            "printf \"virtio sees: %s\\n\", *(char **)($esp + 4)",
            "kill",
        ], Limit);

        GdbBatch.AssertSaid(outcome, "Hardware watchpoint 1: *(unsigned int *)&ap_count");
        if (KvmTestEnvironment.IsPvmHost)
        {
            // KVM's emulator runs the test kernel's ring 0 here and never checks data breakpoints: refused, with the reason.
            GdbBatch.AssertSaid(outcome, "Could not insert hardware watchpoint 1.");
            Assert.Contains("gdb: watchpoints are not available on a kvm_pvm host", outcome.Vmm.Stderr, StringComparison.Ordinal);
        }
        else
        {
            GdbBatch.AssertSaid(outcome, new Regex(@"Old value = 0\s+New value = 1", RegexOptions.Multiline)); // the AP counting itself in
            GdbBatch.AssertSaid(outcome, "ap_count now 1");
        }

        GdbBatch.AssertSaid(outcome, "Hardware assisted breakpoint 2 at ");
        GdbBatch.AssertSaid(outcome, new Regex(@"hit Breakpoint 2, 0x[0-9a-f]+ in check_virtio \(\)"));
        GdbBatch.AssertSaid(outcome, "virtio sees: mem=128 cpus=2 exit=debug"); // its argument, through a pointer
        Assert.Contains("stop requested", outcome.Vmm.Stderr, StringComparison.Ordinal); // kill ends the VM
    }
}
