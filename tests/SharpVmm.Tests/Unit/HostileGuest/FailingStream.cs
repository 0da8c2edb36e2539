namespace SharpVmm.Tests.Unit.HostileGuest;

/// <summary>A write-only stream that accepts <c>acceptedBytes</c> bytes and then fails every write and flush, as a closed pipe (EPIPE) or a full disk (ENOSPC) does.</summary>
public sealed class FailingStream(int acceptedBytes) : Stream
{
    public MemoryStream Accepted { get; } = new();

    public int FailedCalls { get; private set; }

    /// <summary>The writes it accepted.</summary>
    public int Writes { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Accepted.Length;

    public override long Position { get => Accepted.Length; set => throw new NotSupportedException(); }

    public override void Flush()
    {
        if (Accepted.Length >= acceptedBytes && FailedCalls > 0)
        {
            FailedCalls++;
            throw new IOException("Broken pipe");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Accepted.Length + buffer.Length > acceptedBytes)
        {
            FailedCalls++;
            throw new IOException("No space left on device");
        }

        Accepted.Write(buffer);
        Writes++;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
