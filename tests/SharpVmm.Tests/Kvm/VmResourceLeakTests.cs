using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
[Collection(ProcessWideCollection.Name)]
public class VmResourceLeakTests
{
    [Fact]
    public void Two_hundred_vms_started_stopped_and_disposed_leave_no_file_descriptor_or_thread_behind()
    {
        Cycle(); // the first VM loads what the process keeps for good (KVM's device fd is per VM; the runtime's are not)
        Cycle();
        Settle();
        string[] fds = OpenFiles();
        string[] threads = ThreadNames();

        for (int i = 0; i < 200; i++)
        {
            Cycle();
        }

        Settle();
        // Handles of earlier tests' processes and files may still be closed meanwhile by their finalizers; a handle
        // kept by each VM would show as 200 more.
        string[] open = OpenFiles();
        Assert.True(open.Length <= fds.Length + 4, $"{fds.Length} open files before, {open.Length} after; now open: {string.Join(", ", open.Except(fds))}");
        Assert.DoesNotContain(open, target => target.Contains("kvm", StringComparison.Ordinal) && !fds.Contains(target));
        string[] now = ThreadNames();
        Assert.DoesNotContain(now, name => name.StartsWith("vcpu", StringComparison.Ordinal));
        // The runtime's own pools may come and go; a thread per VM would show as 200 more.
        Assert.True(now.Length <= threads.Length + 8, $"{threads.Length} threads before, {now.Length} after: {string.Join(", ", now)}");

        static void Cycle()
        {
            using VirtualMachine vm = LifecycleTests.CountingGuest(2);
            vm.Start();
            LifecycleTests.WaitForCounterAbove(vm, 0);
            vm.Stop();
            Assert.Equal(VmStopReason.StopRequested, vm.WaitForExit(LifecycleTests.Patience).Reason);
        }

        static void Settle()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        static string[] OpenFiles() =>
            [.. Directory.GetFiles("/proc/self/fd").Select(fd => { try { return File.ResolveLinkTarget(fd, false)?.FullName ?? fd; } catch (IOException) { return fd; } })];

        static string[] ThreadNames() =>
            [.. Directory.GetDirectories("/proc/self/task").Select(t => File.ReadAllText(Path.Combine(t, "comm")).Trim())];
    }
}
