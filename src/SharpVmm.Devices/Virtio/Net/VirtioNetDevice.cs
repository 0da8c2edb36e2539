using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpVmm.Devices.Virtio.RateLimiting;

namespace SharpVmm.Devices.Virtio.Net;

/// <summary>
/// A virtio network device (virtio 1.2, 5.1) with one queue pair: receiveq0 (index 0) and transmitq0 (index 1), a MAC
/// address and a link-up status in its configuration. Frames go to and come from an <see cref="INetworkBackend"/>
/// with the 12-byte <c>virtio_net_hdr_v1</c> in front, so the offloads it offers pass straight through in the header:
/// guest to host VIRTIO_NET_F_CSUM and HOST_TSO4/6; host to guest GUEST_CSUM and GUEST_TSO4/6 (the back-end is told
/// with <see cref="INetworkBackend.SetOffloads"/>), with VIRTIO_NET_F_MRG_RXBUF so a large received frame may span
/// several receive chains (num_buffers says how many).
/// </summary>
/// <remarks>
/// Each queue has its own <see cref="VirtioWorker"/> and <see cref="DeviceQueue"/>, like the other devices. Transmit
/// drains transmitq0 whenever <see cref="Notify"/>(1) (or KVM, through <see cref="QueueNotificationHandle"/>) wakes its
/// thread. Receive waits on the back-end and, when the guest has posted no receive buffer, stops reading the back-end
/// and sleeps until <see cref="Notify"/>(0) says buffers arrived. Guest errors (short or oversized chains) are counted
/// and answered, never thrown; a broken ring sets DEVICE_NEEDS_RESET once.
/// </remarks>
public sealed partial class VirtioNetDevice : IVirtioDevice, IVirtioNotificationSource, IPausable, IDeviceHealth, IVirtioQueueStateSource
{
    /// <summary>Index of receiveq0.</summary>
    public const int ReceiveQueue = 0;

    /// <summary>Index of transmitq0.</summary>
    public const int TransmitQueue = 1;

    /// <summary>Largest frame either way, header included: a 64 KiB TSO segment plus Ethernet and vnet headers.</summary>
    public const int MaxFrameSize = 65536 + 14 + VirtioNetHeader.Size;

    private const int ConfigMacOffset = 0;     // 5.1.4 mac[6]
    private const int ConfigStatusOffset = 6;  // 5.1.4 status (le16)
    private const int ConfigLength = 8;

    private readonly INetworkBackend _backend;
    private readonly byte[] _mac;
    private readonly ushort _queueSize;
    private readonly Lock _lifecycle = new();
    private readonly VirtioWorker _txWorker;
    private readonly VirtioWorker _rxWorker;
    private readonly Func<DescriptorChain, uint> _transmit;
    private readonly Func<bool> _transmitRunning;
    private readonly Func<DescriptorChain, bool> _admitTransmit;
    private readonly byte[] _txFrame = new byte[MaxFrameSize];
    private readonly byte[] _rxFrame = new byte[MaxFrameSize];
    private readonly List<DescriptorChain> _gathered = [];
    private DeviceQueue? _tx, _rx;
    private bool _hostCsum, _hostTso, _mergeable, _guestCsum;
    private int _pending; // bytes of _rxFrame read from the back-end and not yet delivered
    private bool _pendingPaid; // RxRateLimiter has let the pending frame through
    private bool _disposed;
    private long _rxFrames, _rxBytes, _rxDropped, _txFrames, _txBytes, _txDropped, _malformedChains;

    /// <summary>Creates a device with MAC <paramref name="mac"/> over <paramref name="backend"/> (owned, disposed with it).</summary>
    /// <param name="backend">Where frames go; the device owns it.</param>
    /// <param name="mac">The 6-byte MAC address the guest reads from the config.</param>
    /// <param name="queueSize">Maximum size of each queue (a power of two).</param>
    public VirtioNetDevice(INetworkBackend backend, ReadOnlySpan<byte> mac, ushort queueSize = 256)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (mac.Length != 6)
        {
            throw new ArgumentException("a MAC address is 6 bytes", nameof(mac));
        }

        if (queueSize == 0 || queueSize > 32768 || (queueSize & (queueSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "a queue size is a power of two up to 32768");
        }

        _backend = backend;
        _mac = mac.ToArray();
        _queueSize = queueSize;
        QueueMaxSizes = [queueSize, queueSize];
        _txWorker = new VirtioWorker("virtio-net tx", ServiceTransmit);
        _rxWorker = new VirtioWorker("virtio-net rx", ServiceReceive, backend.Wake);
        _transmit = TransmitChain;
        _transmitRunning = () => !_txWorker.ShouldYield;
        _admitTransmit = AdmitTransmit;
        RxRateLimiter.OnChanged(_rxWorker.Kick);
        TxRateLimiter.OnChanged(_txWorker.Kick);
    }

    /// <summary>
    /// Limits frames delivered to the guest (Firecracker's <c>rx_rate_limiter</c>): one operation per frame and its
    /// bytes without the virtio-net header. A frame it cannot pay for waits in the device, and the ones behind it in
    /// the back-end, until the buckets have refilled.
    /// </summary>
    public RateLimiter RxRateLimiter { get; } = new();

    /// <summary>
    /// Limits frames the guest sends (Firecracker's <c>tx_rate_limiter</c>), counted like <see cref="RxRateLimiter"/>:
    /// a frame it cannot pay for stays in transmitq0 until the buckets have refilled.
    /// </summary>
    public RateLimiter TxRateLimiter { get; } = new();

    /// <inheritdoc />
    public VirtioDeviceType DeviceType => VirtioDeviceType.Net;

    /// <inheritdoc />
    public ulong DeviceFeatures => VirtioFeatures.Common | VirtioNetFeatures.Mac | VirtioNetFeatures.Status
        | VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6
        | VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4 | VirtioNetFeatures.GuestTso6 | VirtioNetFeatures.MrgRxbuf;

    /// <summary>The back-end offloads that match the guest-side features the driver accepted (5.1.3.1: TSO needs CSUM).</summary>
    public static TapOffloads OffloadsFor(ulong negotiatedFeatures)
    {
        if ((negotiatedFeatures & VirtioNetFeatures.GuestCsum) == 0)
        {
            return TapOffloads.None;
        }

        var offloads = TapOffloads.Csum;
        if ((negotiatedFeatures & VirtioNetFeatures.GuestTso4) != 0)
        {
            offloads |= TapOffloads.Tso4;
        }

        if ((negotiatedFeatures & VirtioNetFeatures.GuestTso6) != 0)
        {
            offloads |= TapOffloads.Tso6;
        }

        return offloads;
    }

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <inheritdoc />
    public int ConfigSize => ConfigLength;

    /// <summary>Frames delivered to the guest.</summary>
    public long RxFrames => Interlocked.Read(ref _rxFrames);

    /// <summary>Bytes delivered to the guest (frames without the vnet header).</summary>
    public long RxBytes => Interlocked.Read(ref _rxBytes);

    /// <summary>Frames from the back-end that no receive buffer could hold.</summary>
    public long RxDropped => Interlocked.Read(ref _rxDropped);

    /// <summary>Frames the guest sent that reached the back-end.</summary>
    public long TxFrames => Interlocked.Read(ref _txFrames);

    /// <summary>Bytes the guest sent (frames without the vnet header).</summary>
    public long TxBytes => Interlocked.Read(ref _txBytes);

    /// <summary>Guest frames the back-end dropped or that used an offload the driver did not negotiate.</summary>
    public long TxDropped => Interlocked.Read(ref _txDropped);

    /// <summary>Chains answered with nothing done: a transmit chain shorter than a header or longer than
    /// <see cref="MaxFrameSize"/>, or a receive chain with no writable part.</summary>
    public long MalformedChains => Interlocked.Read(ref _malformedChains);

    /// <summary>
    /// The host error that stopped a worker (the back-end failed to read or write for a reason other than a full or
    /// empty queue), or a <see cref="DeviceStopTimeoutException"/> when a reset could not stop one; null while both
    /// directions work. After a back-end error the device stays up; the other direction keeps going.
    /// </summary>
    public Exception? BackendFailure =>
        _txWorker.Failure as DeviceStopTimeoutException ?? _rxWorker.Failure as DeviceStopTimeoutException // the reset's report first
        ?? _txWorker.Failure ?? _rxWorker.Failure;

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[ConfigLength];
        _mac.CopyTo(config[ConfigMacOffset..]);
        BinaryPrimitives.WriteUInt16LittleEndian(config[ConfigStatusOffset..], VirtioNetFeatures.StatusLinkUp);
        VirtioConfigSpace.Read(config, offset, data);
    }

    /// <inheritdoc />
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        // mac is driver-writable only in legacy mode and status is read-only (5.1.4): ignore.
    }

    /// <inheritdoc />
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ulong features = activation.Features;
            _backend.SetOffloads(OffloadsFor(features));
            _hostTso = (features & (VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6)) != 0;
            _hostCsum = (features & VirtioNetFeatures.Csum) != 0;
            _mergeable = (features & VirtioNetFeatures.MrgRxbuf) != 0;
            _guestCsum = (features & VirtioNetFeatures.GuestCsum) != 0;
            _pending = 0;
            _pendingPaid = false;
            _gathered.Clear();
            _tx = DeviceQueue.CreateIfReady(activation, TransmitQueue);
            _rx = DeviceQueue.CreateIfReady(activation, ReceiveQueue);
            RetakeRestoredReceive(activation);
            if (_tx is not null)
            {
                _txWorker.Start();
            }

            if (_rx is not null)
            {
                _rxWorker.Start();
            }
        }
    }

    /// <inheritdoc />
    public void Notify(int queueIndex)
    {
        switch (queueIndex)
        {
            case ReceiveQueue:
                _rxWorker.Kick();
                break;
            case TransmitQueue:
                _txWorker.Kick();
                break;
            default:
                break; // a notify for a queue this device does not have: ignored, as hardware would
        }
    }

    /// <inheritdoc />
    /// <remarks>receiveq0's handle wakes the receive thread when it sleeps for want of receive buffers (while it has
    /// some it waits on the back-end, and the kick only makes it look again once it returns); transmitq0's wakes the
    /// transmit thread.</remarks>
    public SafeHandle? QueueNotificationHandle(int queueIndex) => queueIndex switch
    {
        ReceiveQueue => _rxWorker.NotificationHandle,
        TransmitQueue => _txWorker.NotificationHandle,
        _ => null,
    };

    /// <inheritdoc />
    /// <remarks>For receiveq0, the receive thread's sleeps for want of receive buffers (not its waits on the back-end).</remarks>
    public long IdleWaits(int queueIndex) => queueIndex switch
    {
        ReceiveQueue => _rxWorker.IdleWaits,
        TransmitQueue => _txWorker.IdleWaits,
        _ => 0,
    };

    /// <inheritdoc />
    public Exception? Failure => BackendFailure;

    /// <inheritdoc />
    public void Pause()
    {
        _txWorker.Pause();
        _rxWorker.Pause();
    }

    /// <inheritdoc />
    public void Resume()
    {
        _rxWorker.Resume();
        _txWorker.Resume();
    }

    /// <inheritdoc />
    public void Reset()
    {
        lock (_lifecycle)
        {
            if (!_disposed)
            {
                StopWorkers();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            StopWorkers();
        }

        _backend.Dispose();
        _txWorker.Dispose();
        _rxWorker.Dispose();
    }

    private void StopWorkers()
    {
        _txWorker.Stop();
        _rxWorker.Stop(); // wakes the back-end wait too
        _tx = null;
        _rx = null;
    }

    private void ServiceTransmit() => _tx?.Drain(_transmit, _transmitRunning, TxRateLimiter.LimitsAnything ? _admitTransmit : null);

    private bool AdmitTransmit(DescriptorChain chain)
    {
        if (TxRateLimiter.TryConsume(Math.Max(0, (long)chain.ReadableLength - VirtioNetHeader.Size), 1, out TimeSpan retryAfter))
        {
            return true;
        }

        _txWorker.RetryAfter(retryAfter);
        return false;
    }

    private uint TransmitChain(DescriptorChain chain)
    {
        Transmit(chain, _txFrame, _hostCsum, _hostTso);
        return 0;
    }

    private void Transmit(DescriptorChain chain, byte[] frame, bool hostCsum, bool hostTso)
    {
        uint length = chain.ReadableLength;
        if (length < VirtioNetHeader.Size || length > MaxFrameSize)
        {
            Interlocked.Increment(ref _malformedChains);
            return;
        }

        int read = chain.CreateReader().Read(frame.AsSpan(0, (int)length));
        byte gso = (byte)(frame[VirtioNetHeader.GsoTypeOffset] & ~VirtioNetHeader.GsoEcn);
        bool needsCsum = (frame[VirtioNetHeader.FlagsOffset] & VirtioNetHeader.FlagNeedsCsum) != 0;
        if (read != length || (gso != VirtioNetHeader.GsoNone && !hostTso) || (needsCsum && !hostCsum))
        {
            Interlocked.Increment(ref _txDropped);
            return;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(VirtioNetHeader.NumBuffersOffset), 0); // unused on transmit
        if (_backend.Write(frame.AsSpan(0, read)))
        {
            Interlocked.Increment(ref _txFrames);
            Interlocked.Add(ref _txBytes, read - VirtioNetHeader.Size);
        }
        else
        {
            Interlocked.Increment(ref _txDropped);
        }
    }
}
