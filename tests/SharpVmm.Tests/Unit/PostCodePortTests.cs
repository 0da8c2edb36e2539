using SharpVmm.Tests.Support;
using SharpVmm.Devices.Legacy;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class PostCodePortTests
{
    [Fact]
    public void Writes_are_remembered_counted_and_reported()
    {
        var codes = new List<byte>();
        var port = new PostCodePort(codes.Add);
        Assert.Null(port.LastCode);

        port.Write(0, [0x12]);
        port.Write(0, [0x34, 0x56]);

        Assert.Equal((byte)0x34, port.LastCode);
        Assert.Equal(2, port.WriteCount);
        Assert.Equal([0x12, 0x34], codes);
    }

    [Fact]
    public void Reads_float_to_all_ones()
    {
        var port = new PostCodePort();
        port.Write(0, [0x12]);
        Span<byte> data = [0, 0];

        port.Read(0, data);

        Assert.Equal([0xFF, 0xFF], data.ToArray());
    }

    [Fact]
    public void Empty_writes_are_ignored()
    {
        var port = new PostCodePort();

        port.Write(0, []);

        Assert.Equal(0, port.WriteCount);
    }
}
