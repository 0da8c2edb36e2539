using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// The seccomp filters of the API-driven commands, read from /proc while their guest runs: <c>firecracker</c> confines
/// its vCPU thread unless given Firecracker's <c>--no-seccomp</c>, says that it does not read a
/// <c>--seccomp-filter</c> file, and <c>restore</c> confines the restored VM's vCPU thread unless
/// <c>--seccomp off</c>. The guest is the counter raw guest, which prints a line for each count.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class FirecrackerSeccompTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public void The_firecracker_command_confines_its_vcpu_thread_with_a_seccomp_filter()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartCounter(dir, []);
        CountingOutput.WaitForLines(() => fc.Stdout, 3, fc.Describe); // the vCPU thread has run the guest: its filter is on

        int seccomp = ProcessThreads.WaitForThread(fc.Pid, "vcpu0", Limit, fc.Describe);

        Assert.True(seccomp == ProcessThreads.SeccompFilterMode, $"vcpu0 has seccomp mode {seccomp}, expected a filter\n{fc.Describe()}");
    }

    [Fact]
    public void Every_thread_of_the_firecracker_command_is_confined_and_the_vcpu_has_a_narrower_filter_on_top()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartCounter(dir, []);
        CountingOutput.WaitForLines(() => fc.Stdout, 3, fc.Describe);
        ProcessThreads.WaitForThread(fc.Pid, "vcpu0", Limit, fc.Describe);
        fc.Expect(200, "GET", "/", null); // the API server has served a request on its threads

        IReadOnlyList<(string Name, int Seccomp, int Filters)> threads = ProcessThreads.ReadWithFilters(fc.Pid);

        string described = string.Join(", ", threads.Select(t => $"{t.Name}: mode {t.Seccomp}, {t.Filters} filters"));
        Assert.All(threads, t => Assert.True(t.Seccomp == ProcessThreads.SeccompFilterMode, $"thread '{t.Name}' is not confined: {described}"));
        Assert.Contains(threads, t => t.Name.StartsWith(".NET TP Worker", StringComparison.Ordinal));
        if (threads.All(t => t.Filters >= 0))
        {
            // The main thread and the API's have the process's filter alone; the vCPU has its own on top of it.
            Assert.True(threads.Single(t => t.Name == "vcpu0").Filters >= 2, described);
            Assert.All(threads.Where(t => t.Name.StartsWith(".NET TP", StringComparison.Ordinal) || t.Name.StartsWith(".NET Timer", StringComparison.Ordinal)),
                t => Assert.True(t.Filters == 1, $"runtime thread '{t.Name}' has {t.Filters} filters: {described}"));
        }
    }

    [Fact]
    public void With_no_seccomp_no_thread_of_the_firecracker_command_is_confined()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartCounter(dir, ["--no-seccomp"]);

        CountingOutput.WaitForLines(() => fc.Stdout, 3, fc.Describe);
        ProcessThreads.WaitForThread(fc.Pid, "vcpu0", Limit, fc.Describe);

        Assert.All(ProcessThreads.Read(fc.Pid), t => Assert.True(t.Seccomp == 0, $"thread '{t.Name}' has seccomp mode {t.Seccomp}"));
    }

    [Fact]
    public void A_seccomp_filter_file_is_not_read_and_the_built_in_filters_stay()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string filter = dir.File("filter.bpf");
        using FirecrackerProcess fc = StartCounter(dir, ["--seccomp-filter", filter]);
        CountingOutput.WaitForLines(() => fc.Stdout, 3, fc.Describe);

        int seccomp = ProcessThreads.WaitForThread(fc.Pid, "vcpu0", Limit, fc.Describe);

        string said = $"--seccomp-filter {filter} is not read";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!fc.Stderr.Contains(said, StringComparison.Ordinal) && clock.Elapsed < Limit)
        {
            Thread.Sleep(50); // stderr arrives through the process's pipe, maybe after the vCPU thread is seen
        }

        Assert.Equal(ProcessThreads.SeccompFilterMode, seccomp);
        Assert.Contains(said, fc.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ProcessThreads.SeccompFilterMode)]
    [InlineData("off", 0)]
    public void A_restored_vm_confines_its_vcpu_thread_unless_seccomp_is_off(string? mode, int expected)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        using (FirecrackerProcess source = StartCounter(dir, []))
        {
            CountingOutput.WaitForLines(() => source.Stdout, 3, source.Describe);
            source.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
            source.Expect(204, "PUT", "/snapshot/create", $$"""{ "snapshot_type": "Full", "snapshot_path": "{{state}}", "mem_file_path": "{{memory}}" }""");
            source.KillNow();
        }

        using FirecrackerProcess restored = FirecrackerProcess.StartRestore(state, memory, mode is null ? [] : ["--seccomp", mode]);
        CountingOutput.WaitForLines(() => restored.Stdout, 3, restored.Describe);
        int seccomp = ProcessThreads.WaitForThread(restored.Pid, "vcpu0", Limit, restored.Describe);

        Assert.True(seccomp == expected, $"the restored vcpu0 has seccomp mode {seccomp}, expected {expected}\n{restored.Describe()}");
        Assert.False(restored.HasExited, $"the restored VMM ended\n{restored.Describe()}");
    }

    private static FirecrackerProcess StartCounter(TempDirectory dir, string[] extra)
    {
        string config = dir.File("vm.json");
        File.WriteAllText(config, CountingOutput.CounterGuestConfig);
        return FirecrackerProcess.Start(dir, id: "seccomp", extra: ["--config-file", config, .. extra]);
    }
}
