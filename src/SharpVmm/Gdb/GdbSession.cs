using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace SharpVmm.Gdb;

/// <summary>
/// One gdb client on the stub, in all-stop mode: the VM stops when gdb attaches, every vCPU stops when one hits a
/// breakpoint, a watchpoint or the end of a step, or when gdb sends Ctrl-C, and <c>c</c>, <c>s</c> and <c>vCont</c> let
/// them all run again. A reader thread turns the socket's bytes into packets; this thread answers them, one at a time.
/// The session ends when gdb detaches (<c>D</c>) or goes away (the guest runs on), kills the VM (<c>k</c>), or the run ends.
/// </summary>
internal sealed partial class GdbSession
{
    private readonly Socket _socket;
    private readonly VirtualMachine _vm;
    private readonly GdbRegisterLayout _layout;
    private readonly ILogger _log;
    // Packets from gdb: bounded, so a client that floods the stub waits on its socket instead of growing this process.
    private readonly Channel<GdbInput> _inputs = Channel.CreateBounded<GdbInput>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    // Stops from vCPUs (at most one per run, GuestDebugger.OnDebugExit) and null when the run ends.
    // Written on a vCPU thread. Synchronous continuations: the write only wakes Serve's blocking wait, and nothing is
    // queued to the thread pool from the vCPU (a pool thread it made would carry its seccomp filter).
    private readonly Channel<GuestStop?> _stops = Channel.CreateUnbounded<GuestStop?>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private GuestDebugger _debugger = null!;
    private bool _ackMode = true;
    private bool _running;
    private bool _closing;
    private GuestStop _lastStop;
    private int _registerVcpu; // Hg
    private int _resumeVcpu = -1; // Hc: -1 for all
    private byte[] _lastSent = [];

    private readonly IReadOnlyList<Platform.KernelSegment> _kernelSegments;

    public GdbSession(Socket socket, VirtualMachine vm, GdbRegisterLayout layout, IReadOnlyList<Platform.KernelSegment> kernelSegments, ILogger log)
    {
        _kernelSegments = kernelSegments;
        _socket = socket;
        _vm = vm;
        _layout = layout;
        _log = log;
    }

    /// <summary>Serves the client until it detaches or goes away, or the run ends. Never throws.</summary>
    public void Run()
    {
        var reader = new Thread(ReadSocket) { Name = "gdb-reader", IsBackground = true };
        try
        {
            _debugger = new GuestDebugger(_vm, stop => _stops.Writer.TryWrite(stop), _kernelSegments);
        }
        catch (InvalidOperationException ex)
        {
            _log.LogWarning("gdb: client refused: {Reason}", ex.Message);
            Send($"E.{ex.Message}");
            _socket.Dispose();
            return;
        }

        EventHandler<VmStateChangedEventArgs> onState = (_, e) =>
        {
            if (e.Current == VmState.Stopped)
            {
                _stops.Writer.TryWrite(null);
            }
        };
        _vm.StateChanged += onState;
        try
        {
            reader.Start();
            _debugger.Stop(); // like QEMU, attaching stops the guest
            _lastStop = new GuestStop(0, GdbStopKind.Trap, 0, _debugger.Generation);
            Serve();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            _log.LogInformation("gdb: connection lost: {Reason}", ex.Message);
        }
#pragma warning disable CA1031 // the session's last resort: a stub bug ends the session, never the VMM
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.LogError(ex, "gdb: session failed; detaching");
        }
        finally
        {
            _vm.StateChanged -= onState;
            try
            {
                if (!_closing || !_debugger.HasEnded)
                {
                    _debugger.Detach();
                }
            }
#pragma warning disable CA1031 // the VM may be ending or disposed under a detach: that must not end the process
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log.LogInformation("gdb: detach after the run: {Reason}", ex.Message);
            }

            CloseGracefully(reader);
        }
    }

    private void Serve()
    {
        while (!_closing)
        {
            Task<bool> packet = _inputs.Reader.WaitToReadAsync().AsTask();
            Task<bool> stop = _stops.Reader.WaitToReadAsync().AsTask();
            Task.WaitAny(packet, stop);
            while (_stops.Reader.TryRead(out GuestStop? guestStop))
            {
                OnGuestStop(guestStop);
            }

            if (_closing)
            {
                return;
            }

            if (packet.IsCompleted && !packet.Result)
            {
                _log.LogInformation("gdb: client went away; the guest runs on");
                return;
            }

            while (!_closing && _inputs.Reader.TryRead(out GdbInput input))
            {
                OnInput(input);
            }
        }
    }

    private void OnGuestStop(GuestStop? stop)
    {
        if (stop is null)
        {
            if (_running)
            {
                ReportEnd(); // a stopped guest's end is reported when gdb next lets it run
            }

            return;
        }

        if (!_running || stop.Value.Generation != _debugger.Generation)
        {
            return; // from a run that Ctrl-C already stopped
        }

        if (!_debugger.Stop())
        {
            ReportEnd();
            return;
        }

        _running = false;
        _lastStop = stop.Value;
        Send(StopReply(_lastStop));
    }

    private void OnInput(GdbInput input)
    {
        switch (input.Kind)
        {
            case GdbInputKind.Interrupt:
                if (_running)
                {
                    if (!_debugger.Stop())
                    {
                        ReportEnd();
                        return;
                    }

                    _running = false;
                    _lastStop = new GuestStop(_lastStop.VcpuIndex, GdbStopKind.Interrupt, 0, _debugger.Generation);
                    Send(StopReply(_lastStop));
                }

                break;
            case GdbInputKind.BadChecksum:
                if (_ackMode)
                {
                    _socket.Send("-"u8);
                }

                break;
            case GdbInputKind.Nack:
                if (_lastSent.Length > 0)
                {
                    _socket.Send(_lastSent);
                }

                break;
            case GdbInputKind.Packet:
                if (_ackMode)
                {
                    _socket.Send("+"u8);
                }

                if (!_running)
                {
                    string? reply = Handle(Encoding.Latin1.GetString(input.Payload), input.Payload);
                    if (reply is not null)
                    {
                        Send(reply);
                    }
                }

                break;
        }
    }

    // The run ended: W with the guest's exit status for an ending it chose, X with SIGKILL for any other, then close.
    private void ReportEnd()
    {
        VmRunResult? result = _debugger.EndResult;
        Send(result switch
        {
            { GuestExitStatus: int status } => $"W{status & 0xFF:x2}",
            { IsSuccess: true } => "W00",
            _ => "X09",
        });
        _running = false;
        _closing = true;
    }

    // Closing a socket with unread input resets the connection, and a reset can make gdb lose the last reply (the W
    // of an ended run): so end the sending side, read until gdb closes its side (2 s at most), then close.
    private void CloseGracefully(Thread reader)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            long deadline = Environment.TickCount64 + 2000;
            while (reader.IsAlive && Environment.TickCount64 < deadline)
            {
                while (_inputs.Reader.TryRead(out _))
                {
                }

                reader.Join(10);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        _socket.Dispose();
    }

    private void Send(string payload)
    {
        _lastSent = GdbPacket.Frame(Encoding.Latin1.GetBytes(payload));
        _socket.Send(_lastSent);
    }

    private void ReadSocket()
    {
        var parser = new GdbPacketReader();
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int read = _socket.Receive(buffer);
                if (read == 0)
                {
                    break;
                }

                parser.Feed(buffer.AsSpan(0, read));
                while (parser.TryRead(out GdbInput input))
                {
                    if (input.Kind == GdbInputKind.Ack)
                    {
                        continue;
                    }

                    // Waits while the session is busy: the bound above.
                    if (!_inputs.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult() || !_inputs.Writer.TryWrite(input))
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The session closed the socket, or the client reset it: either way the input ends here.
        }
        finally
        {
            _inputs.Writer.TryComplete();
        }
    }
}
