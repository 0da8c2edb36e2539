using System.Text.Json;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// <c>PUT /metrics</c> and the <c>FlushMetrics</c> action through curl: one JSON object per line in Firecracker's
/// shape, with the API server's own counters. Nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerApiMetricsTests
{
    [Fact]
    public void Flush_metrics_writes_a_json_line_with_the_time_and_the_api_request_count()
    {
        using var dir = new TempDirectory();
        string metrics = dir.File("metrics.ndjson");
        using var fc = FirecrackerProcess.Start(dir);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        fc.Expect(204, "PUT", "/metrics", $$"""{ "metrics_path": "{{metrics}}" }""");
        fc.Expect(400, "GET", "/no-such-thing");
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "FlushMetrics" }""");

        string[] lines = File.ReadAllLines(metrics);
        using JsonDocument line = JsonDocument.Parse(Assert.Single(lines));
        long stamp = line.RootElement.GetProperty("utc_timestamp_ms").GetInt64();
        Assert.InRange(stamp, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        JsonElement api = line.RootElement.GetProperty("api_server");
        Assert.True(api.GetProperty("requests").GetInt64() >= 2, $"fewer than two requests counted: {lines[0]}");
        Assert.True(api.GetProperty("errors").GetInt64() >= 1, $"the refused request was not counted: {lines[0]}");
    }

    [Fact]
    public void Flush_metrics_before_put_metrics_is_refused()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, "PUT", "/actions", """{ "action_type": "FlushMetrics" }""");

        Assert.Contains("PUT /metrics", refused.FaultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_can_be_configured_once_only()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/metrics", $$"""{ "metrics_path": "{{dir.File("a.ndjson")}}" }""");
        ApiResponse refused = fc.Expect(400, "PUT", "/metrics", $$"""{ "metrics_path": "{{dir.File("b.ndjson")}}" }""");

        Assert.Contains("Reinitialization of metrics not allowed", refused.FaultMessage, StringComparison.Ordinal);
    }
}
