using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>Reads a chain's device-readable buffers as one sequential byte stream.</summary>
public sealed class DescriptorChainReader
{
    private readonly GuestBufferCursor _cursor;

    internal DescriptorChainReader(GuestMemory memory, IReadOnlyList<GuestBuffer> buffers, uint length) =>
        _cursor = new GuestBufferCursor(memory, buffers, length);

    /// <summary>Bytes not read yet.</summary>
    public long Remaining => _cursor.Remaining;

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes; returns how many (0 at the end).</summary>
    public int Read(Span<byte> destination)
    {
        int total = 0;
        for (ReadOnlySpan<byte> next = NextSpan(destination.Length); !next.IsEmpty; next = NextSpan(destination.Length))
        {
            next.CopyTo(destination);
            destination = destination[next.Length..];
            Advance(next.Length);
            total += next.Length;
        }

        return total;
    }

    /// <summary>Skips <paramref name="count"/> bytes; false (and nothing skipped) when fewer remain.</summary>
    public bool Skip(uint count)
    {
        if (count > Remaining)
        {
            return false;
        }

        Advance(count);
        return true;
    }

    /// <summary>
    /// The next contiguous piece of guest memory to read, at most <paramref name="maxLength"/> bytes, without consuming it
    /// (call <see cref="Advance"/>); empty at the end. Lets a device do I/O straight from guest memory.
    /// </summary>
    public ReadOnlySpan<byte> NextSpan(int maxLength) => _cursor.Next(maxLength);

    /// <summary>Consumes <paramref name="count"/> bytes of the span <see cref="NextSpan"/> returned.</summary>
    public void Advance(long count) => _cursor.Advance(count);
}
