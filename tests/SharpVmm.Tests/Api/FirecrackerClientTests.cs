using System.Net;
using SharpVmm.Client;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// <see cref="FirecrackerClient"/> against a real <c>sharpvmm firecracker</c> process before start: each call's round
/// trip, and a refused request thrown as <see cref="FirecrackerApiException"/> with its status and fault_message.
/// Nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerClientTests
{
    [Fact]
    public async Task The_client_describes_the_instance_and_reads_its_version()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir, id: "client-1");
        using var client = new FirecrackerClient(fc.SocketPath);

        InstanceInfo info = await client.DescribeInstanceAsync(TestContext.Current.CancellationToken);
        string version = await client.GetVersionAsync(TestContext.Current.CancellationToken);

        Assert.Equal("client-1", info.Id);
        Assert.Equal("Not started", info.State);
        Assert.Equal("SharpVmm", info.AppName);
        Assert.Equal(info.VmmVersion, version);
    }

    [Fact]
    public async Task A_configuration_put_through_the_client_reads_back_from_get_vm_config()
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux");
        string disk = dir.File("root.img");
        File.WriteAllBytes(kernel, [0x7F, (byte)'E', (byte)'L', (byte)'F']);
        File.WriteAllBytes(disk, new byte[1 << 16]);
        using var fc = FirecrackerProcess.Start(dir);
        using var client = new FirecrackerClient(fc.SocketPath);
        CancellationToken ct = TestContext.Current.CancellationToken;

        await client.PutMachineConfigAsync(new MachineConfiguration { VcpuCount = 2, MemSizeMib = 96, Smt = false }, ct);
        await client.PutBootSourceAsync(new BootSource { KernelImagePath = kernel, BootArgs = "console=ttyS0" }, ct);
        await client.PutDriveAsync(new Drive { DriveId = "rootfs", PathOnHost = disk, IsRootDevice = true, IsReadOnly = true }, ct);
        await client.PutNetworkInterfaceAsync(new NetworkInterface { IfaceId = "eth0", HostDevName = "tap3", GuestMac = "06:00:00:00:00:03" }, ct);
        MachineConfiguration machine = await client.GetMachineConfigAsync(ct);
        FullVmConfiguration config = await client.GetVmConfigAsync(ct);

        Assert.Equal(2, machine.VcpuCount);
        Assert.Equal(96, machine.MemSizeMib);
        Assert.Equal(machine, config.MachineConfig);
        Assert.Equal(new BootSource { KernelImagePath = kernel, BootArgs = "console=ttyS0" }, config.BootSource);
        Assert.Equal(new Drive { DriveId = "rootfs", PathOnHost = disk, IsRootDevice = true, IsReadOnly = true }, Assert.Single(config.Drives));
        Assert.Equal(new NetworkInterface { IfaceId = "eth0", HostDevName = "tap3", GuestMac = "06:00:00:00:00:03" }, Assert.Single(config.NetworkInterfaces));
    }

    [Fact]
    public async Task A_refused_request_throws_with_the_status_and_the_fault_message()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        using var client = new FirecrackerClient(fc.SocketPath);
        string missing = dir.File("no-such-vmlinux");

        var refused = await Assert.ThrowsAsync<FirecrackerApiException>(() =>
            client.PutBootSourceAsync(new BootSource { KernelImagePath = missing }, TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(missing, refused.FaultMessage, StringComparison.Ordinal);
        Assert.Equal("PUT /boot-source", refused.Request);
    }

    [Fact]
    public async Task Start_without_a_kernel_and_ctrl_alt_del_before_start_are_refused()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        using var client = new FirecrackerClient(fc.SocketPath);
        CancellationToken ct = TestContext.Current.CancellationToken;

        var start = await Assert.ThrowsAsync<FirecrackerApiException>(() => client.StartAsync(ct));
        var ctrlAltDel = await Assert.ThrowsAsync<FirecrackerApiException>(() => client.SendCtrlAltDelAsync(ct));
        var pause = await Assert.ThrowsAsync<FirecrackerApiException>(() => client.PauseAsync(ct));

        Assert.Contains("without kernel configuration", start.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("before starting", ctrlAltDel.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("before starting", pause.FaultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flush_metrics_through_the_client_writes_a_line_to_the_metrics_path_given_on_the_command_line()
    {
        using var dir = new TempDirectory();
        string metrics = dir.File("metrics.ndjson");
        using var fc = FirecrackerProcess.Start(dir, extra: ["--metrics-path", metrics]);
        using var client = new FirecrackerClient(fc.SocketPath);

        await client.FlushMetricsAsync(TestContext.Current.CancellationToken);

        Assert.Contains("\"utc_timestamp_ms\":", Assert.Single(File.ReadAllLines(metrics)), StringComparison.Ordinal);
    }
}
