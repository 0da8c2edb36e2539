using System.Text.Json;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// Firecracker's balloon endpoints before <c>InstanceStart</c>, through curl against a real <c>sharpvmm firecracker</c>
/// process; every answer is checked against Firecracker's OpenAPI specification. Nothing here reaches KVM.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerApiBalloonTests
{
    [Fact]
    public void A_balloon_put_before_start_is_described_by_get_and_in_the_vm_config()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/balloon", """{ "amount_mib": 32, "deflate_on_oom": true, "stats_polling_interval_s": 1 }""");
        JsonElement balloon = fc.Expect(200, "GET", "/balloon").Json;
        JsonElement inConfig = fc.Expect(200, "GET", "/vm/config").Json.GetProperty("balloon");

        Assert.Equal(32, balloon.GetProperty("amount_mib").GetInt32());
        Assert.True(balloon.GetProperty("deflate_on_oom").GetBoolean());
        Assert.Equal(1, balloon.GetProperty("stats_polling_interval_s").GetInt32());
        Assert.Equal(32, inConfig.GetProperty("amount_mib").GetInt32());
    }

    [Fact]
    public void Patches_before_start_change_the_target_and_the_interval_of_the_configured_balloon()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        fc.Expect(204, "PUT", "/balloon", """{ "amount_mib": 32, "deflate_on_oom": false }""");

        fc.Expect(204, "PATCH", "/balloon", """{ "amount_mib": 100 }""");
        fc.Expect(204, "PATCH", "/balloon/statistics", """{ "stats_polling_interval_s": 4 }""");
        JsonElement balloon = fc.Expect(200, "GET", "/balloon").Json;

        Assert.Equal(100, balloon.GetProperty("amount_mib").GetInt32());
        Assert.Equal(4, balloon.GetProperty("stats_polling_interval_s").GetInt32());
        Assert.False(balloon.GetProperty("deflate_on_oom").GetBoolean());
    }

    [Fact]
    public void Without_a_balloon_get_and_patch_answer_400()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        Assert.Contains("No balloon", fc.Expect(400, "GET", "/balloon").FaultMessage, StringComparison.Ordinal);
        fc.Expect(400, "PATCH", "/balloon", """{ "amount_mib": 1 }""");
        fc.Expect(400, "GET", "/balloon/statistics");
        fc.Expect(400, "PATCH", "/balloon/statistics", """{ "stats_polling_interval_s": 1 }""");
    }

    [Fact]
    public void Statistics_answer_400_when_disabled_and_before_start()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        fc.Expect(204, "PUT", "/balloon", """{ "amount_mib": 0, "deflate_on_oom": false }""");
        Assert.Contains("not enabled", fc.Expect(400, "GET", "/balloon/statistics").FaultMessage, StringComparison.Ordinal);
        fc.Expect(204, "PUT", "/balloon", """{ "amount_mib": 0, "deflate_on_oom": false, "stats_polling_interval_s": 1 }""");
        Assert.Equal("The requested operation is not supported before starting the microVM.",
            fc.Expect(400, "GET", "/balloon/statistics").FaultMessage);
    }

    [Theory]
    [InlineData("PUT", "/balloon", """{ "amount_mib": 129, "deflate_on_oom": false }""", "balloon.amount_mib")]
    [InlineData("PUT", "/balloon", """{ "amount_mib": 1 }""", "deflate_on_oom")]
    [InlineData("PUT", "/balloon", """{ "amount_mib": 1, "deflate_on_oom": false, "free_page_hinting": true }""", "balloon.free_page_hinting")]
    [InlineData("PATCH", "/balloon", """{ "amount_mib": 500 }""", "balloon.amount_mib")]
    [InlineData("PATCH", "/balloon", """{ "amount_mib": 1, "deflate_on_oom": true }""", "deflate_on_oom")]
    [InlineData("PATCH", "/balloon/statistics", """{ "stats_polling_interval_s": -1 }""", "balloon.stats_polling_interval_s")]
    [InlineData("GET", "/balloon/hinting/status", null, "not supported by SharpVmm yet")]
    public void Bad_balloon_requests_answer_400_saying_why(string method, string path, string? body, string expected)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        fc.Expect(204, "PUT", "/balloon", """{ "amount_mib": 8, "deflate_on_oom": false }""");

        ApiResponse refused = fc.Expect(400, method, path, body);

        Assert.Contains(expected, refused.FaultMessage, StringComparison.Ordinal);
    }
}
