using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// The API's Unix socket as Firecracker keeps it: mode 0600, several clients at once, and a socket file left behind by
/// a process that was killed replaced when the next one starts. Real processes and curl; nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerApiSocketTests
{
    [Fact]
    public void The_socket_file_is_readable_and_writable_by_its_owner_only()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        fc.Expect(200, "GET", "/");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fc.SocketPath));
    }

    [Fact]
    public void Eight_clients_at_once_are_all_answered()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir, id: "busy");

        ApiResponse[] answers = [.. Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8)
            .Select(i => fc.Call("GET", i % 2 == 0 ? "/" : "/machine-config"))];

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal(4, answers.Count(a => a.Body.Contains("\"id\":\"busy\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Clients_one_after_another_are_each_answered()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        for (int i = 1; i <= 5; i++)
        {
            fc.Expect(204, "PATCH", "/machine-config", $$"""{ "vcpu_count": {{i}} }""");
            Assert.Equal(i, fc.Expect(200, "GET", "/machine-config").Json.GetProperty("vcpu_count").GetInt32());
        }
    }

    [Fact]
    public void A_stale_socket_left_by_a_killed_process_is_replaced_by_the_next_one()
    {
        using var dir = new TempDirectory();
        using (var killed = FirecrackerProcess.Start(dir, id: "first"))
        {
            killed.KillNow();
        }

        Assert.True(File.Exists(dir.File("fc.sock")), "SIGKILL left no socket file behind, so this test shows nothing");

        using var next = FirecrackerProcess.Start(dir, id: "second");

        Assert.Equal("second", next.Expect(200, "GET", "/").String("id"));
    }

    [Fact]
    public void A_socket_another_process_still_listens_on_is_not_taken_over()
    {
        using var dir = new TempDirectory();
        using var first = FirecrackerProcess.Start(dir, id: "first");

        CliProcess.Result second = CliProcess.Run(["firecracker", "--api-sock", first.SocketPath, "--id", "second"], timeout: TimeSpan.FromSeconds(120));

        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("in use", second.Stderr, StringComparison.Ordinal);
        Assert.Equal("first", first.Expect(200, "GET", "/").String("id"));
    }
}
