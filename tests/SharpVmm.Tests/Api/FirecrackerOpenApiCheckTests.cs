using SharpVmm.Tests.Support;
using Xunit;
using Xunit.Sdk;

namespace SharpVmm.Tests.Api;

/// <summary>
/// The check the API tests make of every answer against Firecracker's OpenAPI specification: that it reads the
/// specification and refuses bodies and status codes the specification does not allow.
/// </summary>
[Tier(TestTiers.Unit)]
public class FirecrackerOpenApiCheckTests
{
    [Fact]
    public void The_specification_reads_cleanly_and_has_firecrackers_paths()
    {
        Assert.Equal("Firecracker API", FirecrackerOpenApi.Document.Info.Title);
        Assert.NotNull(FirecrackerOpenApi.FindOperation("PUT", "/drives/rootfs"));
        Assert.NotNull(FirecrackerOpenApi.FindOperation("PATCH", "/vm"));
        Assert.Null(FirecrackerOpenApi.FindOperation("GET", "/drives/rootfs"));
    }

    [Fact]
    public void A_body_that_follows_the_schema_passes()
    {
        FirecrackerOpenApi.AssertConforms("GET", "/",
            new ApiResponse(200, """{ "app_name": "SharpVmm", "id": "a", "state": "Paused", "vmm_version": "1.0.0", "extra": 1 }"""));
        FirecrackerOpenApi.AssertConforms("PUT", "/actions", new ApiResponse(204, ""));
        FirecrackerOpenApi.AssertConforms("PUT", "/actions", new ApiResponse(400, """{ "fault_message": "no" }"""));
    }

    [Theory]
    [InlineData("""{ "app_name": "SharpVmm", "id": "a", "state": "Stopped", "vmm_version": "1.0.0" }""", "'Stopped' is not one of")]
    [InlineData("""{ "app_name": "SharpVmm", "state": "Running", "vmm_version": "1.0.0" }""", "required property 'id' is missing")]
    [InlineData("""{ "app_name": "SharpVmm", "id": 7, "state": "Running", "vmm_version": "1.0.0" }""", "$.id: expected string")]
    [InlineData("""[]""", "$: expected object")]
    [InlineData("""not json""", "the body is not JSON")]
    public void A_get_root_body_that_breaks_the_schema_fails_the_check(string body, string expected)
    {
        var failure = Assert.ThrowsAny<XunitException>(() => FirecrackerOpenApi.AssertConforms("GET", "/", new ApiResponse(200, body)));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_schemas_are_checked_through_their_references()
    {
        string body = """{ "machine-config": { "vcpu_count": 64, "mem_size_mib": 128 }, "drives": [ { "drive_id": "a", "is_root_device": "yes" } ] }""";

        var failure = Assert.ThrowsAny<XunitException>(() => FirecrackerOpenApi.AssertConforms("GET", "/vm/config", new ApiResponse(200, body)));

        Assert.Contains("$.machine-config.vcpu_count: 64 is above the maximum 32", failure.Message, StringComparison.Ordinal);
        Assert.Contains("$.drives[0].is_root_device: expected boolean", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_other_than_400_for_a_path_the_specification_lacks_fails_the_check()
    {
        var failure = Assert.ThrowsAny<XunitException>(() => FirecrackerOpenApi.AssertConforms("GET", "/no-such", new ApiResponse(404, "")));

        Assert.Contains("the specification has no GET /no-such", failure.Message, StringComparison.Ordinal);
    }
}
