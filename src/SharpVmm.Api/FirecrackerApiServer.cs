using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace SharpVmm.Api;

/// <summary>
/// Firecracker's API as HTTP/1.1 on a Unix socket: Kestrel (slim builder, Native AOT), one terminal request delegate
/// (<see cref="FirecrackerApiRouter"/>), the socket file made mode 0600. A stale socket left by a dead process is
/// replaced; one that another process still listens on is refused.
/// </summary>
public sealed class FirecrackerApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _socketPath;

    private FirecrackerApiServer(WebApplication app, string socketPath)
    {
        _app = app;
        _socketPath = socketPath;
    }

    /// <summary>Starts answering on <paramref name="socketPath"/>.</summary>
    /// <exception cref="IOException">The socket is in use, or cannot be created.</exception>
    public static async Task<FirecrackerApiServer> StartAsync(string socketPath, FirecrackerApiRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        RemoveStaleSocket(socketPath);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null; // the router refuses oversized bodies with Firecracker's 400
            kestrel.ListenUnixSocket(socketPath);
        });
        WebApplication app = builder.Build();
        app.Run(router.HandleAsync);
        // The socket is born 0600 (umask 077 while Kestrel binds it), so no other user can connect even for a moment;
        // the mode is set again afterwards in case the bind happened on another thread after the mask was restored.
        uint previous = Sys.Libc.Umask(0x3F); // octal 077
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        finally
        {
            Sys.Libc.Umask(previous);
        }

        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new FirecrackerApiServer(app, socketPath);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        File.Delete(_socketPath);
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
