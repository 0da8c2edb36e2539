using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SharpVmm.Api;

/// <summary>
/// Firecracker's API as HTTP/1.1 on a Unix socket: Kestrel on its own (no web host: <see cref="RouterApplication"/>),
/// one terminal request delegate (<see cref="FirecrackerApiRouter"/>), the socket file made mode 0600. A stale socket left by a dead process is
/// replaced; one that another process still listens on is refused.
/// </summary>
public sealed class FirecrackerApiServer : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private readonly string _socketPath;

    private FirecrackerApiServer(KestrelServer server, string socketPath)
    {
        _server = server;
        _socketPath = socketPath;
    }

    /// <summary>Starts answering on <paramref name="socketPath"/>.</summary>
    /// <exception cref="IOException">The socket is in use, or cannot be created.</exception>
    public static async Task<FirecrackerApiServer> StartAsync(string socketPath, FirecrackerApiRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        RemoveStaleSocket(socketPath);
        var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = EmptyServices.Instance };
        options.Limits.MaxRequestBodySize = null; // the router refuses oversized bodies with Firecracker's 400
        options.ListenUnixSocket(socketPath);
        var server = new KestrelServer(
            Options.Create(options),
            new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance),
            NullLoggerFactory.Instance);
        // The socket is born 0600 (umask 077 while Kestrel binds it), so no other user can connect even for a moment;
        // the mode is set again afterwards in case the bind happened on another thread after the mask was restored.
        uint previous = Sys.Libc.Umask(0x3F); // octal 077
        try
        {
            await server.StartAsync(new RouterApplication(router.HandleAsync), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Sys.Libc.Umask(previous);
        }

        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new FirecrackerApiServer(server, socketPath);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        _server.Dispose();
        File.Delete(_socketPath);
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }

    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path); // nobody listens: a socket left behind by a process that died
            return;
        }

        throw new IOException($"{path} is in use by another process");
    }
}
