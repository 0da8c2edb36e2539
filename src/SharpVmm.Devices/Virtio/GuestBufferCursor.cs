using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A position in a list of validated guest buffers, walked as one byte stream: the shared walk behind
/// <see cref="DescriptorChainReader"/> and <see cref="DescriptorChainWriter"/>.
/// </summary>
internal sealed class GuestBufferCursor
{
    private readonly GuestMemory _memory;
    private readonly IReadOnlyList<GuestBuffer> _buffers;
    private int _buffer;
    private uint _offset; // within _buffers[_buffer]

    public GuestBufferCursor(GuestMemory memory, IReadOnlyList<GuestBuffer> buffers, uint length)
    {
        _memory = memory;
        _buffers = buffers;
        Remaining = length;
    }

    /// <summary>Bytes left from the cursor to the end of the last buffer.</summary>
    public long Remaining { get; private set; }

    /// <summary>The next contiguous piece of guest memory, at most <paramref name="maxLength"/> bytes; empty at the end.</summary>
    public Span<byte> Next(int maxLength)
    {
        if (Remaining == 0 || maxLength <= 0)
        {
            return [];
        }

        GuestBuffer buffer = _buffers[_buffer];
        int length = (int)Math.Min((uint)maxLength, buffer.Length - _offset);
        return _memory.GetSpan(new GuestAddress(buffer.Address.Value + _offset), length);
    }

    /// <summary>Moves the cursor <paramref name="count"/> bytes on (across buffer boundaries).</summary>
    public void Advance(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Remaining);
        Remaining -= count;
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
