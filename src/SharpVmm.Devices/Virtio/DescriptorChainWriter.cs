using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>Fills a chain's device-writable buffers as one sequential byte stream.</summary>
public sealed class DescriptorChainWriter
{
    private readonly GuestMemory _memory;
    private readonly IReadOnlyList<GuestBuffer> _buffers;
    private int _buffer;
    private uint _offset; // within _buffers[_buffer]

    internal DescriptorChainWriter(GuestMemory memory, IReadOnlyList<GuestBuffer> buffers, uint length)
    {
        _memory = memory;
        _buffers = buffers;
        Remaining = length;
    }

    /// <summary>Room left, in bytes.</summary>
    public long Remaining { get; private set; }

    /// <summary>Bytes written so far (the used length to report, when the device wrote nothing else).</summary>
    public uint BytesWritten { get; private set; }

    /// <summary>Copies as much of <paramref name="source"/> as fits; returns how many bytes.</summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        int total = 0;
        while (!source.IsEmpty)
        {
            Span<byte> next = NextSpan(source.Length);
            if (next.IsEmpty)
            {
                break;
            }

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
    public Span<byte> NextSpan(int maxLength)
    {
        if (Remaining == 0 || maxLength <= 0)
        {
            return [];
        }

        GuestBuffer buffer = _buffers[_buffer];
        int length = (int)Math.Min((uint)maxLength, buffer.Length - _offset);
        return _memory.GetSpan(new GuestAddress(buffer.Address.Value + _offset), length);
    }

    /// <summary>Marks <paramref name="count"/> bytes of the span <see cref="NextSpan"/> returned as written.</summary>
    public void Advance(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Remaining);
        Remaining -= count;
        BytesWritten += (uint)count;
        while (count > 0)
        {
            uint step = (uint)Math.Min(count, _buffers[_buffer].Length - _offset);
            _offset += step;
            count -= step;
            if (_offset == _buffers[_buffer].Length)
            {
                _buffer++;
                _offset = 0;
            }
        }
    }
}
