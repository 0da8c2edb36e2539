using SharpVmm.Cli;
using SharpVmm.Cli.Parsing;
using SharpVmm.Configuration;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class BalloonConfigTests
{
    [Fact]
    public void A_balloon_reads_from_firecrackers_json_names_and_counts_as_a_virtio_device()
    {
        VmConfig config = VmConfigJson.Parse("""
            { "boot-source": { "kernel_image_path": "k" }, "machine-config": { "mem_size_mib": 128 },
              "balloon": { "amount_mib": 64, "deflate_on_oom": true, "stats_polling_interval_s": 2, "free_page_reporting": false } }
            """);

        Assert.Equal(new BalloonConfig { AmountMib = 64, DeflateOnOom = true, StatsPollingIntervalSeconds = 2 }, config.Balloon);
        Assert.Equal(1, config.VirtioDeviceCount);
        config.Validate(checkHostResources: false);
    }

    [Theory]
    [InlineData("""{ "amount_mib": 129, "deflate_on_oom": false }""", "balloon.amount_mib")]
    [InlineData("""{ "amount_mib": -1, "deflate_on_oom": false }""", "balloon.amount_mib")]
    [InlineData("""{ "amount_mib": 1, "deflate_on_oom": false, "stats_polling_interval_s": -5 }""", "balloon.stats_polling_interval_s")]
    [InlineData("""{ "amount_mib": 1, "deflate_on_oom": false, "free_page_hinting": true }""", "balloon.free_page_hinting")]
    [InlineData("""{ "amount_mib": 1, "deflate_on_oom": false, "free_page_reporting": true }""", "balloon.free_page_reporting")]
    public void A_bad_balloon_is_refused_naming_the_field(string balloon, string field)
    {
        VmConfig config = VmConfigJson.Parse($$"""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "mem_size_mib": 128 }, "balloon": {{balloon}} }""");

        var ex = Assert.Throws<VmConfigurationException>(() => config.Validate(checkHostResources: false));

        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public void A_raw_guest_with_a_balloon_is_refused_naming_the_balloon()
    {
        VmConfig config = VmConfigJson.Parse("""{ "raw-guest": { "image_path": "builtin:demo-add" }, "balloon": { "amount_mib": 0, "deflate_on_oom": false } }""");

        Assert.Equal("balloon", Assert.Throws<VmConfigurationException>(() => config.Validate()).Field);
    }

    [Theory]
    [InlineData("amount_mib=0", 0, false, 0)]
    [InlineData("amount_mib=64,deflate_on_oom=on", 64, true, 0)]
    [InlineData("stats_polling_interval_s=5,amount_mib=12,deflate_on_oom=off", 12, false, 5)]
    public void The_balloon_option_reads_firecrackers_fields(string text, int amount, bool deflate, int interval) =>
        Assert.Equal(new BalloonConfig { AmountMib = amount, DeflateOnOom = deflate, StatsPollingIntervalSeconds = interval }, BalloonOption.Parse(text));

    [Theory]
    [InlineData("deflate_on_oom=on", "gives no amount_mib")]
    [InlineData("amount_mib=lots", "amount_mib must be a whole number")]
    [InlineData("amount_mib=-3", "amount_mib must be a whole number")]
    [InlineData("amount_mib=1,deflate_on_oom=maybe", "deflate_on_oom must be on or off")]
    [InlineData("amount_mib=1,stats_polling_interval_s=", "stats_polling_interval_s must be a whole number")]
    [InlineData("amount_mib=1,size=3", "unknown setting 'size=3'")]
    public void Bad_balloon_options_say_what_is_wrong(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<UsageException>(() => BalloonOption.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void Boot_with_balloon_puts_it_in_the_printed_configuration()
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux");
        File.WriteAllBytes(kernel, [1]);
        var output = new StringWriter();
        int code = new SharpVmmCommand(output, new StringWriter(), Stream.Null).Invoke(
            ["boot", "--kernel", kernel, "--mem", "256M", "--balloon", "amount_mib=32,stats_polling_interval_s=1", "--print-config"]);

        Assert.Equal(0, code);
        VmConfig printed = VmConfigJson.Parse(output.ToString());
        Assert.Equal(new BalloonConfig { AmountMib = 32, StatsPollingIntervalSeconds = 1 }, printed.Balloon);
    }
}
