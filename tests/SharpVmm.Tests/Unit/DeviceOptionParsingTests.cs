using SharpVmm.Tests.Support;
using SharpVmm.Cli;
using SharpVmm.Cli.Parsing;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class DeviceOptionParsingTests
{
    [Fact]
    public void A_disk_is_read_write_without_a_serial_by_default() =>
        Assert.Equal(new DiskOption("/img/a.raw", false, null), DiskOption.Parse("/img/a.raw"));

    [Theory]
    [InlineData("d.img,readonly", true, null)]
    [InlineData("d.img,ro,serial=disk-1", true, "disk-1")]
    [InlineData("d.img,serial=ABCDEFGHIJKLMNOPQRST", false, "ABCDEFGHIJKLMNOPQRST")]
    public void Disk_settings_are_read(string text, bool readOnly, string? serial)
    {
        DiskOption disk = DiskOption.Parse(text);
        Assert.Equal("d.img", disk.Path);
        Assert.Equal(readOnly, disk.ReadOnly);
        Assert.Equal(serial, disk.Serial);
    }

    [Theory]
    [InlineData("", "no image path")]
    [InlineData(",readonly", "no image path")]
    [InlineData("d.img,cache=none", "unknown setting 'cache=none'")]
    [InlineData("d.img,serial=", "serial must be")]
    [InlineData("d.img,serial=ABCDEFGHIJKLMNOPQRSTU", "serial must be")]
    public void Bad_disk_options_say_what_is_wrong(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<UsageException>(() => DiskOption.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_net_card_gets_a_default_mac_per_index()
    {
        NetOption first = NetOption.Parse("tap=tap0");
        NetOption second = NetOption.Parse("tap=tap1", 1);
        Assert.Equal("tap0", first.TapName);
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, first.Mac);
        Assert.Equal(0x57, second.Mac[5]);
    }

    [Fact]
    public void A_given_mac_is_used() =>
        Assert.Equal(new byte[] { 0x02, 0xAB, 0x00, 0x01, 0xFF, 0x10 }, NetOption.Parse("tap=t,mac=02:ab:00:01:ff:10").Mac);

    [Theory]
    [InlineData("mac=02:00:00:00:00:01", "names no TAP")]
    [InlineData("tap=", "not a valid interface name")]
    [InlineData("tap=a/b", "not a valid interface name")]
    [InlineData("tap=abcdefghijklmnop", "not a valid interface name")]
    [InlineData("tap=t,mac=02:00:00:00:00", "not a MAC address")]
    [InlineData("tap=t,mac=zz:00:00:00:00:01", "not a MAC address")]
    [InlineData("tap=t,mac=01:00:5e:00:00:01", "multicast")]
    [InlineData("tap=t,vhost=on", "unknown setting")]
    public void Bad_net_options_say_what_is_wrong(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<UsageException>(() => NetOption.Parse(text)).Message, StringComparison.Ordinal);
}
