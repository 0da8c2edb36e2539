using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>
/// A virtio socket device (virtio 1.2, 5.10; device ID 19) with Firecracker's hybrid host side: stream connections
/// between guest ports and host processes over Unix sockets. Queues: rx (0), tx (1), event (2); configuration: the
/// guest's CID (le64). Offers VIRTIO_F_VERSION_1 only, and the stream type only (no SEQPACKET).
/// </summary>
/// <remarks>
/// <para>Host side, as Firecracker's <c>docs/vsock.md</c> describes it: the device listens on the Unix socket
/// <c>uds_path</c>. A host process connects, writes <c>CONNECT &lt;port&gt;\n</c>, and once the guest accepted the
/// REQUEST the device sent from a fresh host port it reads <c>OK &lt;host port&gt;\n</c>, then bytes flow both ways. A
/// guest connection to host port P is connected to the Unix socket <c>uds_path_P</c> (RST when nothing listens there).</para>
/// <para>One device thread serves every queue and socket with poll(2) over non-blocking sockets. A guest can neither
/// stall it nor make it hold unbounded memory: at most <see cref="MaxConnections"/> connections; guest-to-host bytes
/// waiting for a slow host process never exceed the <see cref="BufferAllocation"/> the device advertises (a guest that
/// sends beyond it gets RST); host bytes are read only while the guest has credit and receive buffers; answers to the
/// guest wait in a queue of at most <see cref="MaxControlBacklog"/> packets, and the device stops reading the tx queue
/// while it is full. Malformed packets are counted and dropped or answered with RST, never thrown; a broken ring sets
/// DEVICE_NEEDS_RESET.</para>
/// <para>Snapshots save the queue positions only: after a restore the host connections are gone, and the device sends
/// VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue so the guest drops its sockets (as Firecracker does).</para>
/// </remarks>
public sealed partial class VirtioVsockDevice : IVirtioDevice, IVirtioNotificationSource, IPausable, IDeviceHealth, IVirtioQueueStateSource
{
    /// <summary>Index of the rx queue (device to guest).</summary>
    public const int RxQueue = 0;

    /// <summary>Index of the tx queue (guest to device).</summary>
    public const int TxQueue = 1;

    /// <summary>Index of the event queue.</summary>
    public const int EventQueue = 2;

    /// <summary>VMADDR_CID_HOST: the host's context ID.</summary>
    public const ulong HostCid = 2;

    /// <summary>The receive buffer the device advertises per connection (buf_alloc): the most guest bytes it holds for a host process.</summary>
    public const uint BufferAllocation = 64 * 1024;

    /// <summary>The largest payload of one packet either way.</summary>
    public const uint MaxPacketPayload = 64 * 1024;

    /// <summary>Connections (including host processes still writing their CONNECT line) open at once, by default.</summary>
    public const int DefaultMaxConnections = 1024;

    /// <summary>Packets for the guest (RESPONSE, RST, CREDIT_UPDATE, ...) that may wait for rx buffers.</summary>
    public const int MaxControlBacklog = 256;

    /// <summary>How long a REQUEST to the guest, or a closing connection, waits for the guest's answer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    private const int ConfigLength = 8; // 5.10.4: le64 guest_cid

    private readonly ulong _guestCid;
    private readonly string _udsPath;
    private readonly Lock _lifecycle = new();
    private readonly VirtioWorker _worker;
    private readonly Socket _listener;
    private readonly int _listenerFd;
    private DeviceQueue? _rx, _tx, _events;
    private bool _transportResetPending;
    private bool _disposed;
    private long _rxPackets, _rxBytes, _txPackets, _txBytes, _malformed, _connectionsOpened, _resetsSent, _transportResets;
    private long _bufferedBytes, _peakBufferedBytes;
    private int _activeConnections;

    /// <summary>Creates the device and starts listening on <paramref name="udsPath"/>.</summary>
    /// <param name="guestCid">The guest's CID: at least 3, below 0xFFFFFFFF.</param>
    /// <param name="udsPath">The Unix socket host processes connect to; it must not exist yet (Firecracker's rule).</param>
    /// <param name="queueSize">Maximum size of each queue (a power of two).</param>
    /// <param name="maxConnections">Connections open at once; more are refused.</param>
    /// <exception cref="IOException"><paramref name="udsPath"/> exists, or the socket cannot be made there.</exception>
    public VirtioVsockDevice(ulong guestCid, string udsPath, ushort queueSize = 256, int maxConnections = DefaultMaxConnections)
    {
        ArgumentException.ThrowIfNullOrEmpty(udsPath);
        if (guestCid < 3 || guestCid >= uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(guestCid), guestCid, "a guest CID is at least 3 and below 2^32 - 1");
        }

        if (queueSize == 0 || queueSize > VirtQueue.MaxQueueSize || (queueSize & (queueSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "a queue size is a power of two up to 32768");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        if (Path.Exists(udsPath))
        {
            throw new IOException($"vsock: uds_path {udsPath} already exists; like Firecracker, the device makes its socket there itself and will not reuse or remove an existing file");
        }

        _guestCid = guestCid;
        _udsPath = udsPath;
        MaxConnections = maxConnections;
        QueueMaxSizes = [queueSize, queueSize, queueSize];
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(udsPath));
            _listener.Listen(128);
            _listener.Blocking = false;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            _listener.Dispose();
            throw new IOException($"vsock: cannot listen on uds_path {udsPath}: {ex.Message}", ex);
        }

        _listenerFd = (int)_listener.SafeHandle.DangerousGetHandle();
        _worker = new VirtioWorker("virtio-vsock", Service, WakeWorker);
        _scratch = new byte[MaxPacketPayload];
    }

    /// <summary>The guest's context ID.</summary>
    public ulong GuestCid => _guestCid;

    /// <summary>The Unix socket host processes connect to.</summary>
    public string UdsPath => _udsPath;

    /// <summary>Connections open at once at most.</summary>
    public int MaxConnections { get; }

    /// <inheritdoc />
    public VirtioDeviceType DeviceType => VirtioDeviceType.Socket;

    /// <inheritdoc />
    public ulong DeviceFeatures => VirtioFeatures.Version1;

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <inheritdoc />
    public int ConfigSize => ConfigLength;

    /// <summary>Packets put on the rx queue for the guest.</summary>
    public long RxPackets => Interlocked.Read(ref _rxPackets);

    /// <summary>Payload bytes delivered to the guest.</summary>
    public long RxBytes => Interlocked.Read(ref _rxBytes);

    /// <summary>Packets the guest sent on the tx queue (malformed ones included).</summary>
    public long TxPackets => Interlocked.Read(ref _txPackets);

    /// <summary>Payload bytes the guest sent that were accepted for a host process.</summary>
    public long TxBytes => Interlocked.Read(ref _txBytes);

    /// <summary>Guest packets dropped or reset as malformed: short header, len beyond the chain, wrong CID or type, unknown op, data beyond credit.</summary>
    public long MalformedPackets => Interlocked.Read(ref _malformed);

    /// <summary>Connections established so far (either side opening).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    /// <summary>Connections open now (host processes still writing their CONNECT line included).</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>RST packets sent to the guest.</summary>
    public long ResetsSent => Interlocked.Read(ref _resetsSent);

    /// <summary>VIRTIO_VSOCK_EVENT_TRANSPORT_RESET events delivered.</summary>
    public long TransportResets => Interlocked.Read(ref _transportResets);

    /// <summary>Guest bytes held for host processes that have not read them yet, over all connections.</summary>
    public long BufferedBytes => Interlocked.Read(ref _bufferedBytes);

    /// <summary>The most <see cref="BufferedBytes"/> ever was.</summary>
    public long PeakBufferedBytes => Interlocked.Read(ref _peakBufferedBytes);

    /// <summary>What stopped the device thread; null while it works.</summary>
    public Exception? Failure => _worker.Failure;

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[ConfigLength];
        BinaryPrimitives.WriteUInt64LittleEndian(config, _guestCid);
        VirtioConfigSpace.Read(config, offset, data);
    }

    /// <inheritdoc />
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        // guest_cid is read-only (5.10.4).
    }

    /// <inheritdoc />
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _rx = DeviceQueue.CreateIfReady(activation, RxQueue);
            _tx = DeviceQueue.CreateIfReady(activation, TxQueue);
            _events = DeviceQueue.CreateIfReady(activation, EventQueue);
            _transportResetPending = activation.RestoredQueues is not null; // host connections did not survive the snapshot
            if (_rx is not null && _tx is not null)
            {
                _worker.Start();
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Every queue wakes the one device thread.</remarks>
    public void Notify(int queueIndex)
    {
        if (queueIndex is RxQueue or TxQueue or EventQueue)
        {
            _worker.Kick();
        }
    }

    /// <inheritdoc />
    public SafeHandle? QueueNotificationHandle(int queueIndex) =>
        queueIndex is RxQueue or TxQueue or EventQueue ? _worker.NotificationHandle : null;

    /// <inheritdoc />
    public long IdleWaits(int queueIndex) => queueIndex is RxQueue or TxQueue or EventQueue ? _worker.IdleWaits : 0;

    /// <inheritdoc />
    public IReadOnlyList<VirtQueueState?> SaveQueueStates()
    {
        lock (_lifecycle)
        {
            return [_rx?.Queue.SaveState(), _tx?.Queue.SaveState(), _events?.Queue.SaveState()];
        }
    }

    /// <inheritdoc />
    public void Pause() => _worker.Pause();

    /// <inheritdoc />
    public void Resume() => _worker.Resume();

    /// <inheritdoc />
    /// <remarks>Every connection is closed; the listening socket stays.</remarks>
    public void Reset()
    {
        lock (_lifecycle)
        {
            if (!_disposed)
            {
                StopAndForget();
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Closes every socket and removes the listening socket's file.</remarks>
    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            StopAndForget();
        }

        _worker.Dispose();
        _listener.Dispose();
        try
        {
            File.Delete(_udsPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // best effort: the socket file is ours, but a missing directory or permission is no reason to fail a shutdown
        }
    }

    private void StopAndForget()
    {
        _worker.Stop();
        CloseAllConnections();
        _rx = null;
        _tx = null;
        _events = null;
        _transportResetPending = false;
    }

    private void WakeWorker() => _worker.Kick();
}
