namespace SharpVmm.Devices.Virtio.Block;

/// <summary>Running totals of a <see cref="VirtioBlockDevice"/>, for benchmarks and tests. Readable from any thread.</summary>
public sealed class VirtioBlockCounters
{
    private long _requests, _reads, _writes, _bytesRead, _bytesWritten, _flushes, _errors, _unsupported;

    /// <summary>Requests completed (any type, any status).</summary>
    public long Requests => Volatile.Read(ref _requests);

    /// <summary>READ requests completed.</summary>
    public long Reads => Volatile.Read(ref _reads);

    /// <summary>WRITE requests completed.</summary>
    public long Writes => Volatile.Read(ref _writes);

    /// <summary>Bytes read from the image into the guest.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Bytes written from the guest to the image.</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>FLUSH requests completed.</summary>
    public long Flushes => Volatile.Read(ref _flushes);

    /// <summary>Requests answered with VIRTIO_BLK_S_IOERR, or with nowhere to put a status.</summary>
    public long Errors => Volatile.Read(ref _errors);

    /// <summary>Requests answered with VIRTIO_BLK_S_UNSUPP.</summary>
    public long Unsupported => Volatile.Read(ref _unsupported);

    /// <summary>The last error, for a log line.</summary>
    public string? LastError { get; private set; }

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Read(long bytes)
    {
        Interlocked.Increment(ref _reads);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    internal void Wrote(long bytes)
    {
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _bytesWritten, bytes);
    }

    internal void Flush() => Interlocked.Increment(ref _flushes);

    internal void Unsupp() => Interlocked.Increment(ref _unsupported);

    internal void Error(string what)
    {
        LastError = what;
        Interlocked.Increment(ref _errors);
    }

    internal void Note(string what) => LastError = what;
}
