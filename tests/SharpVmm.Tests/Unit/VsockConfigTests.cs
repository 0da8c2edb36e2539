using SharpVmm.Cli;
using SharpVmm.Cli.Parsing;
using SharpVmm.Configuration;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class VsockConfigTests
{
    private static VmConfig With(VsockConfig vsock) => new()
    {
        BootSource = new BootSourceConfig { KernelImagePath = "/nonexistent/kernel" },
        Vsock = vsock,
    };

    [Fact]
    public void A_vsock_counts_as_a_virtio_device_and_round_trips_through_json_with_firecrackers_names()
    {
        VmConfig config = With(new VsockConfig { VsockId = "vsock0", GuestCid = 3, UdsPath = "/tmp/v.sock" });
        string json = System.Text.Json.JsonSerializer.Serialize(config, VmConfigJsonContext.Default.VmConfig);
        VmConfig back = System.Text.Json.JsonSerializer.Deserialize(json, VmConfigJsonContext.Default.VmConfig)!;

        Assert.Equal(1, config.VirtioDeviceCount);
        Assert.Contains("\"vsock\"", json, StringComparison.Ordinal);
        Assert.Contains("\"guest_cid\": 3", json, StringComparison.Ordinal);
        Assert.Contains("\"uds_path\": \"/tmp/v.sock\"", json, StringComparison.Ordinal);
        Assert.Equal(config.Vsock, back.Vsock);
        config.Validate(checkHostResources: false);
    }

    [Theory]
    [InlineData(0u, "/tmp/v.sock", "vsock.guest_cid")]
    [InlineData(2u, "/tmp/v.sock", "vsock.guest_cid")]
    [InlineData(uint.MaxValue, "/tmp/v.sock", "vsock.guest_cid")]
    [InlineData(3u, "", "vsock.uds_path")]
    public void A_bad_vsock_is_refused_naming_the_field(uint cid, string path, string field)
    {
        var ex = Assert.Throws<VmConfigurationException>(() => With(new VsockConfig { GuestCid = cid, UdsPath = path }).Validate(checkHostResources: false));
        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public void A_uds_path_that_does_not_fit_sun_path_or_whose_folder_is_missing_is_refused()
    {
        string longPath = "/tmp/" + new string('x', VsockConfig.MaxUdsPathBytes - 4);
        var tooLong = Assert.Throws<VmConfigurationException>(() => With(new VsockConfig { GuestCid = 3, UdsPath = longPath }).Validate(checkHostResources: false));
        var missing = Assert.Throws<VmConfigurationException>(() => new VmConfig { Vsock = new VsockConfig { GuestCid = 3, UdsPath = "/nonexistent-dir/v.sock" } }
            .Validate(checkHostResources: true, requireBootSource: false));

        Assert.Equal("vsock.uds_path", tooLong.Field);
        Assert.Contains("107", tooLong.Reason, StringComparison.Ordinal);
        Assert.Equal("vsock.uds_path", missing.Field);
        Assert.Contains("/nonexistent-dir", missing.Reason, StringComparison.Ordinal);
        With(new VsockConfig { GuestCid = 3, UdsPath = "/tmp/" + new string('x', VsockConfig.MaxUdsPathBytes - 5) }).Validate(checkHostResources: false);
    }

    [Fact]
    public void The_vsock_option_gives_the_cid_and_the_path()
    {
        VsockConfig? parsed = VsockOption.Parse("cid=52,uds=/run/v.sock");

        Assert.Equal(new VsockConfig { GuestCid = 52, UdsPath = "/run/v.sock" }, parsed);
        Assert.Equal(new VsockConfig { GuestCid = 3, UdsPath = "v.sock" }, VsockOption.Parse("uds=v.sock,cid=3"));
        Assert.Null(VsockOption.Parse(null));
    }

    [Theory]
    [InlineData("cid=2,uds=/tmp/v.sock", "cid '2'")]
    [InlineData("cid=x,uds=/tmp/v.sock", "cid 'x'")]
    [InlineData("cid=-3,uds=/tmp/v.sock", "cid '-3'")]
    [InlineData("uds=/tmp/v.sock", "no cid")]
    [InlineData("cid=3", "no uds")]
    [InlineData("cid=3,uds=", "uds= names no path")]
    [InlineData("cid=3,uds=/tmp/v.sock,port=5", "unknown setting 'port=5'")]
    public void A_malformed_vsock_option_says_what_is_wrong(string text, string message)
    {
        var ex = Assert.Throws<UsageException>(() => VsockOption.Parse(text));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("--vsock:", ex.Message, StringComparison.Ordinal);
    }
}
