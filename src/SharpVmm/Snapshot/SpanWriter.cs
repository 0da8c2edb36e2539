using System.Buffers.Binary;

namespace SharpVmm.Snapshot;

/// <summary>Writes little-endian fields one after another into a buffer sized beforehand (the state file's header).</summary>
internal ref struct SpanWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    private int _offset;

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[_offset..]);
        _offset += bytes.Length;
    }

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[_offset..], value);
        _offset += 2;
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer[_offset..], value);
        _offset += 4;
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer[_offset..], value);
        _offset += 8;
    }
}
