using System.Buffers.Binary;

namespace SharpVmm.Snapshot;

/// <summary>Reads little-endian fields one after another; running out of bytes is a truncated snapshot file.</summary>
internal ref struct SpanReader(ReadOnlySpan<byte> buffer, string name)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private readonly string _name = name;

    public int Offset { get; private set; }

    public void Skip(int count) => Take(count);

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _buffer.Length - Offset)
        {
            throw new SnapshotException($"{_name} is truncated: it ends at byte {_buffer.Length}, inside its header");
        }

        ReadOnlySpan<byte> taken = _buffer.Slice(Offset, count);
        Offset += count;
        return taken;
    }
}
