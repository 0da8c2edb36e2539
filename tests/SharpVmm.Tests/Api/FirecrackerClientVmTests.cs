using SharpVmm.Client;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// <see cref="FirecrackerClient"/> starting, pausing and resuming real guests in a real <c>sharpvmm firecracker</c>
/// process: the test kernel through <see cref="FirecrackerClient.StartAsync"/>, a looping raw guest paused and resumed.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class FirecrackerClientVmTests
{
    [Fact]
    public async Task The_client_configures_and_starts_the_test_kernel_which_exits_through_isa_debug_exit()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        using var client = new FirecrackerClient(fc.SocketPath);
        CancellationToken ct = TestContext.Current.CancellationToken;

        await client.PutMachineConfigAsync(new MachineConfiguration { VcpuCount = 2, MemSizeMib = 128 }, ct);
        await client.PutBootSourceAsync(new BootSource { KernelImagePath = kernel, BootArgs = "mem=128 cpus=2 exit=debug" }, ct);
        await client.StartAsync(ct);
        int exit = fc.WaitForExit(TimeSpan.FromSeconds(120));

        Assert.True(exit == 33, $"exit code {exit}, expected 33\n{fc.Describe()}");
        Assert.Contains("smp ok 2 cpus", fc.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_pauses_and_resumes_a_running_guest()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string config = dir.File("vm.json");
        File.WriteAllText(config,
            """{"machine-config":{"mem_size_mib":1},"raw-guest":{"image_path":"builtin:kvmsample","load_address":65536,"entry":"0x1000:0x0"}}""");
        using var fc = FirecrackerProcess.Start(dir, id: "paused-by-client", extra: ["--config-file", config]);
        using var client = new FirecrackerClient(fc.SocketPath);
        CancellationToken ct = TestContext.Current.CancellationToken;

        Assert.Equal("Running", (await client.DescribeInstanceAsync(ct)).State);
        await client.PauseAsync(ct);
        Assert.Equal("Paused", (await client.DescribeInstanceAsync(ct)).State);
        await client.ResumeAsync(ct);
        Assert.Equal("Running", (await client.DescribeInstanceAsync(ct)).State);
        var again = await Assert.ThrowsAsync<FirecrackerApiException>(() => client.StartAsync(ct));

        Assert.Equal("The requested operation is not supported after starting the microVM.", again.FaultMessage);
    }
}
