namespace SharpVmm;

/// <summary>
/// The console's output file with a size cap (<see cref="Configuration.ConsoleConfig.OutputLimitBytes"/>): a guest that
/// prints forever cannot fill the host's disk. Bytes past the cap are dropped and counted; <see cref="LimitReached"/> is
/// called once, the first time (for a log line).
/// </summary>
internal sealed class CappedOutputStream(FileStream file, long limit) : Stream
{
    private long _written, _dropped;
    private int _reported;

    /// <summary>The file written to.</summary>
    public FileStream File => file;

    /// <summary>How many bytes the file may take.</summary>
    public long Limit => limit;

    /// <summary>Bytes dropped because the file reached <see cref="Limit"/>.</summary>
    public long BytesDropped => Interlocked.Read(ref _dropped);

    /// <summary>Called once, from the writing thread, when the first byte is dropped.</summary>
    public Action<CappedOutputStream>? LimitReached { get; set; }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => Interlocked.Read(ref _written);

    /// <inheritdoc />
    public override long Position { get => Length; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush() => file.Flush();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long room = Math.Max(0, limit - _written);
        int taken = (int)Math.Min(room, buffer.Length);
        if (taken > 0)
        {
            file.Write(buffer[..taken]);
            Interlocked.Add(ref _written, taken);
        }

        if (taken < buffer.Length)
        {
            Interlocked.Add(ref _dropped, buffer.Length - taken);
            if (Interlocked.Exchange(ref _reported, 1) == 0)
            {
                LimitReached?.Invoke(this);
            }
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }
}
