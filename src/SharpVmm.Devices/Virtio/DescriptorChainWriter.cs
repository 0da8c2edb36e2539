using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>Fills a chain's device-writable buffers as one sequential byte stream.</summary>
public sealed class DescriptorChainWriter
{
    private readonly GuestBufferCursor _cursor;

    internal DescriptorChainWriter(GuestMemory memory, IReadOnlyList<GuestBuffer> buffers, uint length) =>
        _cursor = new GuestBufferCursor(memory, buffers, length);

    /// <summary>Room left, in bytes.</summary>
    public long Remaining => _cursor.Remaining;

    /// <summary>Bytes written so far (the used length to report, when the device wrote nothing else).</summary>
    public uint BytesWritten { get; private set; }

    /// <summary>Copies as much of <paramref name="source"/> as fits; returns how many bytes.</summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        int total = 0;
        for (Span<byte> next = NextSpan(source.Length); !next.IsEmpty; next = NextSpan(source.Length))
        {
            source[..next.Length].CopyTo(next);
            source = source[next.Length..];
            Advance(next.Length);
            total += next.Length;
        }

        return total;
    }

    /// <summary>
    /// The next contiguous piece of guest memory to fill, at most <paramref name="maxLength"/> bytes, without consuming it
    /// (call <see cref="Advance"/>); empty when the chain is full. Lets a device do I/O straight into guest memory.
    /// </summary>
    public Span<byte> NextSpan(int maxLength) => _cursor.Next(maxLength);

    /// <summary>Marks <paramref name="count"/> bytes of the span <see cref="NextSpan"/> returned as written.</summary>
    public void Advance(long count)
    {
        _cursor.Advance(count);
        BytesWritten += (uint)count;
    }
}
