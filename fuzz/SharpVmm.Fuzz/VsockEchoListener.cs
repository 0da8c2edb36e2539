using System.Net.Sockets;

namespace SharpVmm.Fuzz;

/// <summary>
/// The host side of the fuzzed virtio-vsock device: a Unix socket at <c>UDS_PATH_1024</c> that echoes whatever a
/// connection sends, so that a guest's connection to port <see cref="Port"/> opens, carries data both ways and closes.
/// One per process, listening until the process ends.
/// </summary>
public sealed class VsockEchoListener
{
    /// <summary>The guest-side port that reaches the listener.</summary>
    public const uint Port = 1024;

    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    /// <summary>Listens at <paramref name="udsPath"/>_<see cref="Port"/>, Firecracker's path for guest-initiated
    /// connections to that port.</summary>
    public VsockEchoListener(string udsPath)
    {
        string path = $"{udsPath}_{Port}";
        File.Delete(path);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(64);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        _ = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket connection = await _listener.AcceptAsync().ConfigureAwait(false);
            _ = Task.Run(() => EchoAsync(connection));
        }
    }

    private static async Task EchoAsync(Socket connection)
    {
        using (connection)
        {
            byte[] buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await connection.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
                {
                    await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
                }
            }
            catch (SocketException)
            {
                // the device closed or reset the connection: that is the guest's business
            }
        }
    }
}
