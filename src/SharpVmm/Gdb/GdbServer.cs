using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SharpVmm.Gdb;

/// <summary>
/// The gdb stub's listener (<c>--gdb</c>): gdb connects with <c>target remote</c>, and the VM stops while it is
/// attached (<see cref="GdbSession"/>). One client at a time; a second is refused while one is attached. Start it
/// before the VM (with <see cref="VmRunOptions.StartPaused"/> for <c>--gdb-wait</c>) or while it runs.
/// </summary>
public sealed class GdbServer : IDisposable
{
    private readonly Socket _listener;
    private readonly VirtualMachine _vm;
    private readonly GdbRegisterLayout _layout;
    private readonly ILogger _log;
    private readonly GdbEndpoint _endpoint;
    private readonly Thread _acceptor;
    private readonly IReadOnlyList<Platform.KernelSegment> _kernelSegments;
    private int _sessions; // 0 or 1
    private volatile bool _disposed;

    private GdbServer(Socket listener, VirtualMachine vm, GdbRegisterLayout layout, GdbEndpoint endpoint, ILogger log,
        IReadOnlyList<Platform.KernelSegment> kernelSegments)
    {
        _kernelSegments = kernelSegments;
        _listener = listener;
        _vm = vm;
        _layout = layout;
        _endpoint = endpoint;
        _log = log;
        _acceptor = new Thread(Accept) { Name = "gdb-listener", IsBackground = true };
    }

    /// <summary>Where gdb connects: for TCP port 0, the port the system chose.</summary>
    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    /// <summary>Whether a gdb client is attached now.</summary>
    public bool HasClient => Volatile.Read(ref _sessions) != 0;

    /// <summary>
    /// Listens on <paramref name="endpoint"/> for gdb to debug <paramref name="vm"/>: the register layout its guest
    /// needs (<see cref="GdbRegisterLayout.For"/>), and an ELF kernel's segments, so that a breakpoint at a kernel
    /// address can be set before the kernel turns paging on.
    /// </summary>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public static GdbServer Start(MicroVm vm, GdbEndpoint endpoint, ILogger? log)
    {
        ArgumentNullException.ThrowIfNull(vm);
        return Start(vm.Machine, endpoint, GdbRegisterLayout.For(vm), log, vm.KernelBoot?.Segments);
    }

    /// <summary>
    /// Listens on <paramref name="endpoint"/> for gdb. <paramref name="layout"/> is the register set gdb is told about:
    /// <see cref="GdbRegisterLayout.I386"/> for a 32-bit guest (gdb refuses a 32-bit ELF against an x86-64 description),
    /// <see cref="GdbRegisterLayout.X86_64"/> otherwise.
    /// </summary>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public static GdbServer Start(VirtualMachine vm, GdbEndpoint endpoint, GdbRegisterLayout layout, ILogger? log,
        IReadOnlyList<Platform.KernelSegment>? kernelSegments)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(endpoint);
        Socket listener = endpoint.SocketPath is null
            ? new Socket(endpoint.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (endpoint.SocketPath is { } path && File.Exists(path))
            {
                File.Delete(path); // a stale socket from an earlier run, as Firecracker's API socket
            }

            if (endpoint.SocketPath is null)
            {
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            listener.Bind(endpoint.EndPoint);
            listener.Listen(1);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var server = new GdbServer(listener, vm, layout, endpoint, log ?? NullLogger.Instance, kernelSegments ?? []);
        server._acceptor.Start();
        return server;
    }

    private void Accept()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return; // disposed
            }

            if (Interlocked.CompareExchange(ref _sessions, 1, 0) != 0)
            {
                _log.LogWarning("gdb: a second client was refused: one is attached");
                client.Dispose();
                continue;
            }

            if (_endpoint.SocketPath is null)
            {
                client.NoDelay = true; // one small packet at a time, each waiting for its answer
            }

            _log.LogInformation("gdb: client attached on {Endpoint}", _endpoint);
            var session = new GdbSession(client, _vm, _layout, _kernelSegments, _log);
            var thread = new Thread(() =>
            {
                session.Run();
                Volatile.Write(ref _sessions, 0);
            })
            { Name = "gdb-session", IsBackground = true };
            thread.Start();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _listener.Dispose();
        if (_endpoint.SocketPath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Left behind: the next start deletes it.
            }
        }
    }
}
