using System.Diagnostics;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>Sixteen <c>sharpvmm boot</c> processes at once, each booting the test kernel (2 vCPUs, fw_cfg, ACPI, SMP
/// checks) to its isa-debug-exit; their resident memory is sampled while they run. Inside tools/nested-kvm, four:
/// there sixteen .NET processes and their 32 nested vCPUs share two emulated CPUs, and did not finish within
/// 5 minutes (docs/testing.md).</summary>
[Tier(TestTiers.KvmFast)]
[Collection(ProcessWideCollection.Name)]
public class ConcurrentVmmProcessTests(ITestOutputHelper output)
{
    private static readonly int AtOnce = Environment.GetEnvironmentVariable("SHARPVMM_NESTED_VM") == "1" ? 4 : 16;

    [Fact]
    public void Sixteen_vmm_processes_at_once_or_four_in_nested_kvm_each_boot_the_test_kernel_through_its_checks_and_leave_nothing_running()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        // One CLI process first, so that what starting and reading a process loads into this one for good (the pipe and
        // socket assemblies, an epoll instance) is in the "before" figures when this test is the process's first.
        Assert.Equal(0, CliProcess.Run(["--version"]).ExitCode);
        ProcessResources before = ProcessResources.Measure();
        var clock = Stopwatch.StartNew();
        List<Process> processes = [.. Enumerable.Range(0, AtOnce).Select(_ => Process.Start(CliProcess.CreateStartInfo(
            ["boot", "--kernel", kernel, "--cpus", "2", "--mem", "128M", "--append", "mem=128 cpus=2 exit=debug", "--time-limit", "250"]))!)];
        try
        {
            long peakKiB = 0;
            using var sampler = new Timer(_ =>
            {
                foreach (Process p in processes)
                {
                    long kib = ProcessResources.ResidentKiBOf($"/proc/{p.Id}/status");
                    long seen;
                    while (kib > (seen = Interlocked.Read(ref peakKiB)) && Interlocked.CompareExchange(ref peakKiB, kib, seen) != seen)
                    {
                    }
                }
            }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));

            CliProcess.Result[] results = [.. processes.Select(p => CliProcess.Collect(p, "sharpvmm boot", TimeSpan.FromSeconds(300)))];
            TimeSpan took = clock.Elapsed;

            for (int i = 0; i < AtOnce; i++)
            {
                CliProcess.Result r = results[i];
                string described = $"process {i}: exit code {r.ExitCode}\n--- stdout ---\n{r.Stdout}\n--- stderr ---\n{r.Stderr}";
                Assert.True(r.ExitCode == 33, described);
                Assert.DoesNotContain("FAIL:", r.Stdout, StringComparison.Ordinal);
                string[] lines = [.. r.Stdout.Split('\n').Select(l => l.TrimEnd('\r'))];
                Assert.All(TestKernel.OkLines, ok => Assert.True(lines.Contains(ok), $"no line '{ok}'\n{described}"));
            }

            Assert.All(processes, p => Assert.True(p.HasExited, $"process {p.Id} is still running"));
            DisposeAll(processes); // the test's own ends of their pipes
            ProcessResources after = ProcessResources.Measure();
            output.WriteLine($"{AtOnce} sharpvmm boot processes at once: all done in {took.TotalSeconds:F1} s, largest resident set {Interlocked.Read(ref peakKiB) / 1024.0:F1} MiB; test process before: {before}; after: {after}");
            Assert.True(after.OpenFiles.Length <= before.OpenFiles.Length + 4,
                $"{before.OpenFiles.Length} open files before, {after.OpenFiles.Length} after: {string.Join(", ", after.OpenFiles.Except(before.OpenFiles))}");
        }
        finally
        {
            DisposeAll(processes);
        }
    }

    private static void DisposeAll(List<Process> processes)
    {
        foreach (Process p in processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            p.Dispose();
        }

        processes.Clear();
    }
}
