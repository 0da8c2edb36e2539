using System.Buffers.Binary;
using System.Runtime.InteropServices;

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
/// Transmit runs on a worker thread that <see cref="Notify"/>(1) only wakes (or KVM, through
/// <see cref="QueueNotificationHandle"/>). Receive runs on a reader thread that waits
/// on the back-end and, when the guest has posted no receive buffer, stops reading the back-end until
/// <see cref="Notify"/>(0) says buffers arrived. Guest errors (short or oversized chains, a broken ring) are counted and
/// answered, never thrown.
/// </remarks>
public sealed class VirtioNetDevice : IVirtioDevice, IVirtioNotificationSource
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
    private readonly NotificationEvent _txKick = new();
    private readonly NotificationEvent _rxKick = new();
    private Thread? _txThread;
    private Thread? _rxThread;
    private volatile bool _stopping;
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
    }

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
    /// empty queue); null while both directions work. The device stays up; the other direction keeps going.
    /// </summary>
    public Exception? BackendFailure { get; private set; }

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[ConfigLength];
        _mac.CopyTo(config[ConfigMacOffset..]);
        BinaryPrimitives.WriteUInt16LittleEndian(config[ConfigStatusOffset..], VirtioNetFeatures.StatusLinkUp);
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            data[i] = at < ConfigLength ? config[(int)at] : (byte)0;
        }
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
            StopWorkers();
            _stopping = false;
            _backend.SetOffloads(OffloadsFor(activation.Features));
            VirtQueue? rx = CreateQueue(activation, ReceiveQueue);
            VirtQueue? tx = CreateQueue(activation, TransmitQueue);
            if (tx is not null)
            {
                _txThread = new Thread(() => Guarded(() => TransmitLoop(tx, activation))) { IsBackground = true, Name = "virtio-net tx" };
                _txThread.Start();
            }

            if (rx is not null)
            {
                _rxThread = new Thread(() => Guarded(() => ReceiveLoop(rx, activation))) { IsBackground = true, Name = "virtio-net rx" };
                _rxThread.Start();
            }
        }
    }

    /// <inheritdoc />
    public void Notify(int queueIndex)
    {
        switch (queueIndex)
        {
            case ReceiveQueue:
                _rxKick.Kick();
                break;
            case TransmitQueue:
                _txKick.Kick();
                break;
            default:
                break; // a notify for a queue this device does not have: ignored, as hardware would
        }
    }

    /// <inheritdoc />
    /// <remarks>receiveq0's handle wakes the reader thread when it waits for receive buffers (while it has some it
    /// waits on the back-end and ignores the kick until its ring runs dry); transmitq0's wakes the transmit thread.</remarks>
    public SafeHandle? QueueNotificationHandle(int queueIndex) => queueIndex switch
    {
        ReceiveQueue => _rxKick.Handle,
        TransmitQueue => _txKick.Handle,
        _ => null,
    };

    /// <inheritdoc />
    /// <remarks>For receiveq0, the reader's sleeps waiting for receive buffers (not its waits on the back-end).</remarks>
    public long IdleWaits(int queueIndex) => queueIndex switch
    {
        ReceiveQueue => _rxKick.IdleWaits,
        TransmitQueue => _txKick.IdleWaits,
        _ => 0,
    };

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
        _txKick.Dispose();
        _rxKick.Dispose();
    }

    private VirtQueue? CreateQueue(VirtioActivation activation, int index)
    {
        if (index >= activation.Queues.Count || !activation.Queues[index].Ready)
        {
            return null;
        }

        return new VirtQueue(activation.Memory, activation.Queues[index], activation.Features);
    }

    private void StopWorkers()
    {
        _stopping = true;
        _txKick.Kick();
        _rxKick.Kick();
        _backend.Wake();
        _txThread?.Join();
        _rxThread?.Join();
        _txThread = null;
        _rxThread = null;
        _txKick.TryConsume(); // drop kicks meant for the stopped workers
        _rxKick.TryConsume();
    }

    private void Guarded(Action loop)
    {
        try
        {
            loop();
        }
        catch (IOException ex)
        {
            BackendFailure = ex; // a host failure must not take the VMM down from a worker thread
        }
#pragma warning disable CA1031 // a device thread's last resort: record the failure, keep the VMM and the other devices running
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            BackendFailure = ex;
        }
    }

    private void TransmitLoop(VirtQueue queue, VirtioActivation activation)
    {
        byte[] frame = new byte[MaxFrameSize];
        bool hostTso = (activation.Features & (VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6)) != 0;
        bool hostCsum = (activation.Features & VirtioNetFeatures.Csum) != 0;
        while (!_stopping)
        {
            queue.DisableNotifications();
            bool used = false;
            while (!_stopping && queue.TryPop(out DescriptorChain chain))
            {
                Transmit(chain, frame, hostCsum, hostTso);
                queue.AddUsed(chain, 0);
                used = true;
            }

            if (used && queue.NeedsNotification())
            {
                activation.Interrupt.SignalUsedBuffers(TransmitQueue);
            }

            if (CheckBroken(queue, activation))
            {
                return;
            }

            if (!queue.EnableNotifications())
            {
                _txKick.Wait(-1);
            }
        }
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

    private void ReceiveLoop(VirtQueue queue, VirtioActivation activation)
    {
        byte[] frame = new byte[MaxFrameSize];
        bool mergeable = (activation.Features & VirtioNetFeatures.MrgRxbuf) != 0;
        bool guestCsum = (activation.Features & VirtioNetFeatures.GuestCsum) != 0;
        var gathered = new List<DescriptorChain>();
        int pending = 0;
        while (!_stopping)
        {
            if (pending == 0)
            {
                pending = _backend.Read(frame);
                if (pending == 0)
                {
                    _backend.WaitReadable(-1);
                    continue;
                }

                if (pending < VirtioNetHeader.Size)
                {
                    // a back-end frame without a whole virtio-net header (a TAP never sends one): nothing to deliver
                    Interlocked.Increment(ref _rxDropped);
                    pending = 0;
                    continue;
                }
            }

            if (!Gather(queue, activation, gathered, mergeable ? pending : 1))
            {
                if (CheckBroken(queue, activation))
                {
                    return;
                }

                _rxKick.Wait(-1); // not enough buffers: leave the back-end alone until the guest posts more
                continue;
            }

            if (!guestCsum)
            {
                // 5.1.6.4.1: without GUEST_CSUM flags are zero and gso_type NONE (the back-end has no offloads on).
                frame.AsSpan(0, VirtioNetHeader.NumBuffersOffset).Clear();
            }

            Deliver(queue, gathered, frame.AsSpan(0, pending));
            gathered.Clear();
            pending = 0;
            if (queue.NeedsNotification())
            {
                activation.Interrupt.SignalUsedBuffers(ReceiveQueue);
            }
        }
    }

    private bool TryTakeReceiveBuffer(VirtQueue queue, VirtioActivation activation, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DescriptorChain? chain)
    {
        while (true)
        {
            queue.DisableNotifications();
            if (queue.TryPop(out DescriptorChain popped))
            {
                if (popped.WritableLength >= VirtioNetHeader.Size)
                {
                    chain = popped;
                    return true;
                }

                Interlocked.Increment(ref _malformedChains); // nothing to write into: hand it back empty
                queue.AddUsed(popped, 0);
                if (queue.NeedsNotification())
                {
                    activation.Interrupt.SignalUsedBuffers(ReceiveQueue);
                }

                continue;
            }

            if (queue.IsBroken || !queue.EnableNotifications())
            {
                chain = null;
                return false;
            }
        }
    }

    // Adds receive chains to gathered (kept across waits) until they hold needed bytes; false if the ring ran dry.
    private bool Gather(VirtQueue queue, VirtioActivation activation, List<DescriptorChain> gathered, int needed)
    {
        long room = gathered.Sum(c => (long)c.WritableLength);
        while (room < needed && gathered.Count < queue.Size)
        {
            if (!TryTakeReceiveBuffer(queue, activation, out DescriptorChain? chain))
            {
                return false;
            }

            gathered.Add(chain);
            room += chain.WritableLength;
        }

        return true;
    }

    private void Deliver(VirtQueue queue, List<DescriptorChain> chains, Span<byte> frame)
    {
        long room = chains.Sum(c => (long)c.WritableLength);
        if (frame.Length > room)
        {
            // The frame does not fit: without MRG_RXBUF the guest posted a short buffer; with it, the whole ring is
            // too small. Hand the buffers back empty.
            Interlocked.Increment(ref _rxDropped);
            foreach (DescriptorChain chain in chains)
            {
                queue.AddUsed(chain, 0);
            }

            return;
        }

        // 5.1.6.4: num_buffers is the number of chains the frame spans (1 without MRG_RXBUF).
        BinaryPrimitives.WriteUInt16LittleEndian(frame[VirtioNetHeader.NumBuffersOffset..], (ushort)chains.Count);
        int offset = 0;
        foreach (DescriptorChain chain in chains)
        {
            var writer = chain.CreateWriter();
            offset += writer.Write(frame[offset..]);
            queue.AddUsed(chain, writer.BytesWritten);
        }

        Interlocked.Increment(ref _rxFrames);
        Interlocked.Add(ref _rxBytes, frame.Length - VirtioNetHeader.Size);
    }

    private static bool CheckBroken(VirtQueue queue, VirtioActivation activation)
    {
        if (!queue.IsBroken)
        {
            return false;
        }

        activation.Interrupt.SetNeedsReset();
        return true;
    }
}
