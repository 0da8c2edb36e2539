using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SharpVmm.Gdb;

namespace SharpVmm.Cli;

/// <summary><c>--gdb</c> on <c>run</c> and <c>boot</c>: starts the stub before the guest's first instruction and says where it listens.</summary>
internal static class GdbStub
{
    /// <summary>
    /// <paramref name="controls"/> with the stub a configuration file asks for (<c>machine-config.gdb_socket_path</c>,
    /// which waits for gdb as Firecracker does) when no <c>--gdb</c> was given.
    /// </summary>
    public static RunControls WithConfiguredStub(RunControls controls, Configuration.VmConfig config) =>
        controls.Gdb is null && config.Machine.GdbSocketPath is { } path
            ? controls with { Gdb = GdbEndpoint.Unix(path), GdbWait = true }
            : controls;

    /// <summary>
    /// Starts a <see cref="GdbServer"/> on <paramref name="vm"/> when <paramref name="controls"/> ask for one, and
    /// prints <c>sharpvmm: gdb: listening on ...</c> (with the port the system chose for port 0); null when not asked.
    /// </summary>
    /// <exception cref="UsageException">The address cannot be bound.</exception>
    public static GdbServer? StartIfAsked(RunControls controls, MicroVm vm, ILoggerFactory logging, TextWriter err)
    {
        if (controls.Gdb is not { } endpoint)
        {
            return null;
        }

        GdbServer server;
        try
        {
            server = GdbServer.Start(vm, endpoint, logging.CreateLogger("SharpVmm.Gdb"));
        }
        catch (SocketException ex)
        {
            throw new UsageException($"--gdb {endpoint}: cannot listen: {ex.Message}");
        }

        string where = server.LocalEndPoint is IPEndPoint ip ? $"tcp:{ip}" : endpoint.ToString();
        err.WriteLine($"sharpvmm: gdb: listening on {where} for {GdbRegisterLayout.For(vm).Architecture}" +
            (controls.GdbWait ? "; the guest waits for gdb to continue it" : ""));
        return server;
    }
}
