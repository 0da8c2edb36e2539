using System.Text;

namespace SharpVmm.Tests.Support;

/// <summary>A write-only stream that keeps what a guest's serial port printed, for tests to read and wait on.</summary>
public sealed class SerialCapture : Stream
{
    private readonly Lock _lock = new();
    private readonly MemoryStream _bytes = new();

    public string Text
    {
        get
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
            }
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lock)
        {
            _bytes.Write(buffer);
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
