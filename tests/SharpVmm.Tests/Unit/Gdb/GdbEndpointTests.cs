using System.Net;
using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Gdb;

[Tier(TestTiers.Unit)]
public class GdbEndpointTests
{
    [Fact]
    public void Tcp_with_an_empty_host_listens_on_loopback_only()
    {
        GdbEndpoint endpoint = GdbEndpoint.Parse("tcp::1234");

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1234), endpoint.EndPoint);
        Assert.Null(endpoint.SocketPath);
    }

    [Theory]
    [InlineData("tcp:0.0.0.0:9000", "0.0.0.0:9000")]
    [InlineData("tcp:localhost:1", "127.0.0.1:1")]
    [InlineData("tcp:[::1]:1234", "[::1]:1234")]
    public void Tcp_takes_an_address_and_a_port(string text, string expected)
    {
        Assert.Equal(expected, GdbEndpoint.Parse(text).EndPoint.ToString());
    }

    [Fact]
    public void Unix_takes_a_socket_path()
    {
        GdbEndpoint endpoint = GdbEndpoint.Parse("unix:/run/vm/gdb.sock");

        Assert.Equal("/run/vm/gdb.sock", endpoint.SocketPath);
        Assert.Equal("unix:/run/vm/gdb.sock", endpoint.ToString());
    }

    [Theory]
    [InlineData("1234", "is not tcp:HOST:PORT or unix:PATH")]
    [InlineData("tcp:1234", "needs a port")]
    [InlineData("tcp::70000", "needs a port")]
    [InlineData("tcp:example.org:1234", "is not an IP address")]
    [InlineData("unix:", "needs a socket path")]
    public void Bad_endpoints_say_what_is_wrong(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => GdbEndpoint.Parse(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
