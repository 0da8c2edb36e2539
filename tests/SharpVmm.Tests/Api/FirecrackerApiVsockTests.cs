using System.Text.Json;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// <c>PUT /vsock</c> before boot, through curl against a real <c>sharpvmm firecracker</c> process: accepted and shown
/// in <c>GET /vm/config</c>, or refused with a 400 that names the field. Nothing here reaches KVM; the refusal after
/// start is in <see cref="FirecrackerApiBootTests"/>.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerApiVsockTests
{
    [Fact]
    public void A_vsock_put_before_boot_is_accepted_and_shown_in_the_vm_config()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        string uds = dir.File("v.sock");

        fc.Expect(204, "PUT", "/vsock", $$"""{ "vsock_id": "vsock0", "guest_cid": 3, "uds_path": "{{uds}}" }""");
        fc.Expect(204, "PUT", "/vsock", $$"""{ "guest_cid": 42, "uds_path": "{{uds}}" }"""); // a second PUT replaces the first

        JsonElement vsock = fc.Expect(200, "GET", "/vm/config").Json.GetProperty("vsock");
        Assert.Equal(42u, vsock.GetProperty("guest_cid").GetUInt32());
        Assert.Equal(uds, vsock.GetProperty("uds_path").GetString());
        Assert.False(File.Exists(uds)); // the socket is made when the VM starts
    }

    [Theory]
    [InlineData("""{ "guest_cid": 2, "uds_path": "DIR/v.sock" }""", "guest_cid")]
    [InlineData("""{ "guest_cid": 3, "uds_path": "" }""", "uds_path")]
    [InlineData("""{ "guest_cid": 3, "uds_path": "DIR/missing/v.sock" }""", "uds_path")]
    [InlineData("""{ "guest_cid": 3, "uds_path": "DIR/v.sock", "port": 1 }""", "port")]
    public void A_bad_vsock_is_refused_with_the_field_named(string body, string field)
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);

        ApiResponse refused = fc.Expect(400, "PUT", "/vsock", body.Replace("DIR", dir.Path, StringComparison.Ordinal));

        Assert.Contains(field, refused.FaultMessage, StringComparison.Ordinal);
        Assert.False(fc.Expect(200, "GET", "/vm/config").Json.TryGetProperty("vsock", out _));
    }

    [Fact]
    public void A_uds_path_longer_than_sun_path_is_refused()
    {
        using var dir = new TempDirectory();
        using var fc = FirecrackerProcess.Start(dir);
        string uds = "/tmp/" + new string('v', 103);

        ApiResponse refused = fc.Expect(400, "PUT", "/vsock", $$"""{ "guest_cid": 3, "uds_path": "{{uds}}" }""");

        Assert.Contains("107", refused.FaultMessage, StringComparison.Ordinal);
    }
}
