using System.Diagnostics;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// Load in one process: many VMs one after another and sixteen at once, with the process's open files, threads and
/// resident memory measured before and after (the figures are printed to the test output for docs/reliability.md).
/// </summary>
[Tier(TestTiers.KvmFast)]
[Collection(ProcessWideCollection.Name)]
public class VmResourceLeakTests(ITestOutputHelper output)
{
    private const int AtOnce = 16;
    private const int Cycles = 1000;

    // Resident memory moves by up to 7 MiB between measurements with what the runtime's heap and the allocator keep
    // (measured); one VM's guest memory kept per cycle would show as 1 GiB over 500 cycles. Smaller leaks of mapped
    // memory (a kvm_run area, a ring) show in the count of mappings instead.
    private const long ResidentSlackKiB = 16 * 1024;
    private const int MappingSlack = 16;

    [Fact]
    public void A_thousand_vms_started_stopped_and_disposed_leave_no_file_descriptor_thread_or_memory_behind()
    {
        for (int i = 0; i < 200; i++)
        {
            // The first VMs load what the process keeps for good: the signal handler, and the runtime's code for the
            // VM's methods, which tiered compilation recompiles over the first hundred or so.
            Cycle();
        }

        ProcessResources before = ProcessResources.Measure();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Cycles / 2; i++)
        {
            Cycle();
        }

        ProcessResources middle = ProcessResources.Measure();
        for (int i = 0; i < Cycles / 2; i++)
        {
            Cycle();
        }

        TimeSpan took = clock.Elapsed;
        ProcessResources after = ProcessResources.Measure();
        output.WriteLine($"{Cycles} create/run/dispose cycles in {took.TotalSeconds:F1} s ({took.TotalMilliseconds / Cycles:F2} ms each); before: {before}; after {Cycles / 2}: {middle}; after {Cycles}: {after}");

        AssertNothingKept(before, after, after.ResidentKiB - middle.ResidentKiB);

        static void Cycle()
        {
            using VirtualMachine vm = LifecycleTests.CountingGuest(2);
            vm.Start();
            LifecycleTests.WaitForCounterAbove(vm, 0);
            vm.Stop();
            Assert.Equal(VmStopReason.StopRequested, vm.WaitForExit(LifecycleTests.Patience).Reason);
        }
    }

    [Fact]
    public void Sixteen_vms_running_at_once_in_one_process_each_run_their_guest_and_leave_nothing_behind()
    {
        RunSixteen(); // warm-up: what the runtime keeps for good after the first run
        ProcessResources before = ProcessResources.Measure();

        (long peakKiB, int peakThreads, int vcpuThreads) = RunSixteen();

        ProcessResources after = ProcessResources.Measure();
        output.WriteLine($"{AtOnce} VMs at once (2 vCPUs each): peak {peakThreads} threads ({vcpuThreads} vCPU threads), {peakKiB / 1024.0:F1} MiB resident; before: {before}; after: {after}");
        // Counted by name: the runtime's pool threads come and go meanwhile, so the total says little.
        Assert.True(vcpuThreads >= AtOnce * 2, $"{vcpuThreads} vCPU threads while {AtOnce} VMs of 2 vCPUs ran");
        AssertNothingKept(before, after, after.ResidentKiB - before.ResidentKiB);
    }

    private static (long PeakKiB, int PeakThreads, int VcpuThreads) RunSixteen()
    {
        var vms = new List<VirtualMachine>();
        try
        {
            for (int i = 0; i < AtOnce; i++)
            {
                vms.Add(LifecycleTests.CountingGuest(2));
            }

            foreach (VirtualMachine vm in vms)
            {
                vm.Start();
            }

            foreach (VirtualMachine vm in vms)
            {
                LifecycleTests.WaitForCounterAbove(vm, 1000); // every one of them runs its guest
            }

            ProcessResources running = ProcessResources.Measure();
            foreach (VirtualMachine vm in vms)
            {
                vm.Stop();
            }

            foreach (VirtualMachine vm in vms)
            {
                Assert.Equal(VmStopReason.StopRequested, vm.WaitForExit(LifecycleTests.Patience).Reason);
            }

            return (running.ResidentKiB, running.ThreadNames.Length, running.ThreadNames.Count(n => n.StartsWith("vcpu", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (VirtualMachine vm in vms)
            {
                vm.Dispose();
            }
        }
    }

    // residentGrowthKiB: over a span where nothing but VMs ran; the runtime's one-off costs (its code for methods other
    // tests used, compiled again at a higher tier) settle in the first cycles, a leak grows with every one.
    private static bool OutsideTheRuntimesPools(string threadName) => !threadName.StartsWith(".NET", StringComparison.Ordinal);

    private static void AssertNothingKept(ProcessResources before, ProcessResources after, long residentGrowthKiB)
    {
        // Handles of earlier tests' processes and files may still be closed meanwhile by their finalizers; a handle
        // kept by each VM would show as hundreds more.
        Assert.True(after.OpenFiles.Length <= before.OpenFiles.Length + 4,
            $"{before.OpenFiles.Length} open files before, {after.OpenFiles.Length} after; now open: {string.Join(", ", after.OpenFiles.Except(before.OpenFiles))}");
        Assert.DoesNotContain(after.OpenFiles, target => target.Contains("kvm", StringComparison.Ordinal) && !before.OpenFiles.Contains(target));
        Assert.DoesNotContain(after.ThreadNames, name => name.StartsWith("vcpu", StringComparison.Ordinal));
        // The runtime's own pools (threads named ".NET ...") grow and shrink with the host's load, so they are left out;
        // a thread per VM would show as hundreds more.
        int threadsBefore = before.ThreadNames.Count(OutsideTheRuntimesPools), threadsAfter = after.ThreadNames.Count(OutsideTheRuntimesPools);
        Assert.True(threadsAfter <= threadsBefore + 8,
            $"{threadsBefore} threads outside the runtime's pools before, {threadsAfter} after: {string.Join(", ", after.ThreadNames)}");
        Assert.True(residentGrowthKiB <= ResidentSlackKiB, $"resident memory grew by {residentGrowthKiB} KiB");
        Assert.True(after.Mappings <= before.Mappings + MappingSlack, $"{before.Mappings} memory mappings before, {after.Mappings} after");
    }
}
