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
        int fds = Directory.GetFiles("/proc/self/fd").Length;
        string[] threads = ThreadNames();

        for (int i = 0; i < 200; i++)
        {
            Cycle();
        }

        Assert.Equal(fds, Directory.GetFiles("/proc/self/fd").Length);
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

        static string[] ThreadNames() =>
            [.. Directory.GetDirectories("/proc/self/task").Select(t => File.ReadAllText(Path.Combine(t, "comm")).Trim())];
    }
}
