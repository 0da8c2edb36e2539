using System.Runtime.InteropServices;
namespace SharpVmm.Devices.Virtio.Entropy;

/// <summary>
/// A virtio entropy device (virtio 1.2, section 5.4): one request queue whose writable buffers are filled with random
/// bytes from an <see cref="IEntropySource"/>, on the device's own thread. No feature bits, no configuration space.
/// </summary>
public sealed class VirtioEntropyDevice : IVirtioDevice, IVirtioNotificationSource, IPausable, IDeviceHealth, IVirtioQueueStateSource
{
    /// <summary>Largest fill per request; a bigger buffer is filled up to this (the driver simply asks again).</summary>
    public const int MaxBytesPerRequest = 64 * 1024;

    private readonly IEntropySource _source;
    private readonly ushort _queueSize;
    private readonly SingleQueueService _service;
    private readonly byte[] _scratch = new byte[4096];
    private long _bytesProvided, _requests, _errors;

    /// <summary>Creates the device; <paramref name="source"/> defaults to the host's getrandom(2).</summary>
    public VirtioEntropyDevice(IEntropySource? source = null, ushort queueSize = 64)
    {
        if (queueSize == 0 || (queueSize & (queueSize - 1)) != 0 || queueSize > VirtQueue.MaxQueueSize)
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "a queue size is a power of two of at most 32768");
        }

        _source = source ?? new HostEntropySource();
        _queueSize = queueSize;
        _service = new SingleQueueService("virtio-rng", Fill, chain => Math.Min(chain.WritableLength, MaxBytesPerRequest));
    }

    /// <summary>
    /// The device's rate limiter (Firecracker's entropy <c>rate_limiter</c>): one operation per request and, for the
    /// bandwidth bucket, the bytes the request asks for (at most <see cref="MaxBytesPerRequest"/>).
    /// </summary>
    public RateLimiting.RateLimiter RateLimiter => _service.RateLimiter;

    /// <summary>Random bytes handed to the guest so far.</summary>
    public long BytesProvided => Interlocked.Read(ref _bytesProvided);

    /// <summary>Requests completed.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests the source failed (answered with 0 bytes).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <inheritdoc />
    public VirtioDeviceType DeviceType => VirtioDeviceType.Entropy;

    /// <inheritdoc />
    public ulong DeviceFeatures => VirtioFeatures.Common;

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes => [_queueSize];

    /// <inheritdoc />
    public int ConfigSize => 0;

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data) => data.Clear();

    /// <inheritdoc />
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc />
    public void Activate(VirtioActivation activation)
    {
        _service.Activate(activation);
    }

    /// <inheritdoc />
    public void Notify(int queueIndex)
    {
        _service.Notify(queueIndex);
    }

    /// <inheritdoc />
    public SafeHandle? QueueNotificationHandle(int queueIndex) => _service.QueueNotificationHandle(queueIndex);

    /// <inheritdoc />
    public long IdleWaits(int queueIndex) => _service.IdleWaits(queueIndex);

    /// <inheritdoc />
    public Exception? Failure => _service.WorkerFailure;

    /// <inheritdoc />
    /// <remarks>The device keeps no other runtime state: a request is completed before the worker pauses.</remarks>
    public IReadOnlyList<VirtQueueState?> SaveQueueStates() => [_service.SaveQueueState()];

    /// <inheritdoc />
    public void Pause() => _service.Pause();

    /// <inheritdoc />
    public void Resume() => _service.Resume();

    /// <inheritdoc />
    public void Reset()
    {
        _service.Reset();
    }

    private uint Fill(DescriptorChain chain)
    {
        Interlocked.Increment(ref _requests);
        DescriptorChainWriter writer = chain.CreateWriter();
        long want = Math.Min(writer.Remaining, MaxBytesPerRequest);
        try
        {
            while (want > 0)
            {
                Span<byte> chunk = _scratch.AsSpan(0, (int)Math.Min(want, _scratch.Length));
                _source.Fill(chunk); // into a private buffer: the guest must not see or steer a partial fill
                writer.Write(chunk);
                want -= chunk.Length;
            }
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _errors);
        }

        Interlocked.Add(ref _bytesProvided, writer.BytesWritten);
        return writer.BytesWritten;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _service.Dispose();
    }
}
