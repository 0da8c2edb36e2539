using System.Runtime.InteropServices;
namespace SharpVmm.Devices.Virtio.Console;

/// <summary>
/// A virtio console (virtio 1.2, section 5.3) with a single port and no feature bits: transmitq0 (queue 1) carries what
/// the guest writes to <see cref="Output"/>; receiveq0 (queue 0) carries bytes from <see cref="EnqueueInput"/>, buffered
/// until the guest posts receive buffers. Both are served on the device's own thread.
/// </summary>
public sealed partial class VirtioConsoleDevice : IVirtioDevice, IVirtioNotificationSource, IPausable, IDeviceHealth, IVirtioQueueStateSource
{
    /// <summary>Index of receiveq0 (host to guest).</summary>
    public const int ReceiveQueue = 0;

    /// <summary>Index of transmitq0 (guest to host).</summary>
    public const int TransmitQueue = 1;

    /// <summary>Host input held for the guest at most; bytes beyond it are dropped (and counted).</summary>
    public const int InputBufferSize = 64 * 1024;

    // struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr (5.3.4).
    private const int ConfigBytes = 12;

    private readonly Lock _inputLock = new();
    private readonly Queue<byte> _input = new();
    private readonly ushort _queueSize;
    private readonly VirtioWorker _worker;
    private readonly byte[] _scratch = new byte[4096];
    private DeviceQueue? _rx, _tx;
    private long _bytesTransmitted, _bytesReceived, _inputDropped, _outputErrors;

    /// <summary>Creates a console writing guest output to <paramref name="output"/>.</summary>
    public VirtioConsoleDevice(Stream output, ushort queueSize = 64)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (queueSize == 0 || (queueSize & (queueSize - 1)) != 0 || queueSize > VirtQueue.MaxQueueSize)
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "a queue size is a power of two of at most 32768");
        }

        Output = output;
        _queueSize = queueSize;
        _worker = new VirtioWorker("virtio-console", Service);
    }

    /// <summary>Where the guest's output goes.</summary>
    public Stream Output { get; }

    /// <summary>Bytes the guest wrote.</summary>
    public long BytesTransmitted => Interlocked.Read(ref _bytesTransmitted);

    /// <summary>Host bytes delivered to the guest.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Host bytes dropped because the input buffer was full.</summary>
    public long InputDropped => Interlocked.Read(ref _inputDropped);

    /// <summary>Guest output lost because <see cref="Output"/> failed.</summary>
    public long OutputErrors => Interlocked.Read(ref _outputErrors);

    /// <inheritdoc />
    public VirtioDeviceType DeviceType => VirtioDeviceType.Console;

    /// <inheritdoc />
    public ulong DeviceFeatures => VirtioFeatures.Common;

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes => [_queueSize, _queueSize];

    /// <inheritdoc />
    public int ConfigSize => ConfigBytes;

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data) => data.Clear(); // no F_SIZE / MULTIPORT: fields unused

    /// <inheritdoc />
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        // emerg_wr needs VIRTIO_CONSOLE_F_EMERG_WRITE, which is not offered.
    }

    /// <summary>Hands host bytes (a terminal, a file) to the guest; kept until it posts receive buffers.</summary>
    public void EnqueueInput(ReadOnlySpan<byte> bytes)
    {
        lock (_inputLock)
        {
            foreach (byte b in bytes)
            {
                if (_input.Count >= InputBufferSize)
                {
                    Interlocked.Add(ref _inputDropped, 1);
                    continue;
                }

                _input.Enqueue(b);
            }
        }

        _worker.Kick();
    }

    /// <inheritdoc />
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        _rx = DeviceQueue.CreateIfReady(activation, ReceiveQueue);
        _tx = DeviceQueue.CreateIfReady(activation, TransmitQueue);
        _worker.Start();
    }

    /// <inheritdoc />
    public void Notify(int queueIndex)
    {
        if (queueIndex is ReceiveQueue or TransmitQueue)
        {
            _worker.Kick();
        }
    }

    /// <inheritdoc />
    public SafeHandle? QueueNotificationHandle(int queueIndex) => queueIndex is ReceiveQueue or TransmitQueue ? _worker.NotificationHandle : null;

    /// <inheritdoc />
    /// <remarks>Both queues share the one thread, so both count its sleeps.</remarks>
    public long IdleWaits(int queueIndex) => queueIndex is ReceiveQueue or TransmitQueue ? _worker.IdleWaits : 0;

    /// <inheritdoc />
    public Exception? Failure => _worker.Failure;

    /// <inheritdoc />
    public void Pause() => _worker.Pause();

    /// <inheritdoc />
    public void Resume() => _worker.Resume();

    /// <inheritdoc />
    public void Reset()
    {
        _worker.Stop();
        _rx = null;
        _tx = null;
    }

    private void Service()
    {
        _tx?.Drain(Transmit, () => !_worker.ShouldYield);
        _rx?.Drain(Receive, () => !_worker.ShouldYield && HasInput());
    }

    private bool HasInput()
    {
        lock (_inputLock)
        {
            return _input.Count > 0;
        }
    }

    private uint Transmit(DescriptorChain chain)
    {
        DescriptorChainReader reader = chain.CreateReader();
        try
        {
            while (reader.Remaining > 0)
            {
                ReadOnlySpan<byte> span = reader.NextSpan(_scratch.Length);
                Output.Write(span);
                reader.Advance(span.Length);
                Interlocked.Add(ref _bytesTransmitted, span.Length);
            }

            Output.Flush();
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _outputErrors);
        }

        return 0;
    }

    private uint Receive(DescriptorChain chain)
    {
        DescriptorChainWriter writer = chain.CreateWriter();
        lock (_inputLock)
        {
            int n = (int)Math.Min(Math.Min(writer.Remaining, _input.Count), _scratch.Length);
            for (int i = 0; i < n; i++)
            {
                _scratch[i] = _input.Dequeue();
            }

            writer.Write(_scratch.AsSpan(0, n));
        }

        Interlocked.Add(ref _bytesReceived, writer.BytesWritten);
        return writer.BytesWritten;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _worker.Dispose();
        _rx = null;
        _tx = null;
    }
}
