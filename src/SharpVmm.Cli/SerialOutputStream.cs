namespace SharpVmm.Cli;

/// <summary>
/// Guest serial output on the CLI's stdout. It writes through the same <see cref="StreamWriter"/> as the exit
/// trace, flushing after each guest byte, so trace lines and guest output appear in the order they happened.
/// </summary>
internal sealed class SerialOutputStream : Stream
{
    private readonly StreamWriter _writer;

    public SerialOutputStream(StreamWriter writer) => _writer = writer;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _writer.Flush();
        _writer.BaseStream.Write(buffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => _writer.BaseStream.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
