namespace SharpVmm.Tests.Unit.HostileGuest;

/// <summary>A write-only stream that keeps what it is given and counts the calls that gave it.</summary>
public sealed class CountingStream : Stream
{
    private readonly Lock _lock = new();

    public MemoryStream Written { get; } = new();

    public int Writes { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Written.Length;

    public override long Position { get => Written.Length; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lock)
        {
            Writes++;
            Written.Write(buffer);
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
