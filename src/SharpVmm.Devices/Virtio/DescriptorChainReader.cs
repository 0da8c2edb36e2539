using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>Reads a chain's device-readable buffers as one sequential byte stream.</summary>
public sealed class DescriptorChainReader
{
    private readonly GuestMemory _memory;
    private readonly IReadOnlyList<GuestBuffer> _buffers;
    private int _buffer;
    private uint _offset; // within _buffers[_buffer]

    internal DescriptorChainReader(GuestMemory memory, IReadOnlyList<GuestBuffer> buffers, uint length)
    {
        _memory = memory;
        _buffers = buffers;
        Remaining = length;
    }

    /// <summary>Bytes not read yet.</summary>
    public long Remaining { get; private set; }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes; returns how many (0 at the end).</summary>
    public int Read(Span<byte> destination)
    {
        int total = 0;
        while (!destination.IsEmpty)
        {
            ReadOnlySpan<byte> next = NextSpan(destination.Length);
            if (next.IsEmpty)
            {
                break;
            }

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
    public ReadOnlySpan<byte> NextSpan(int maxLength)
    {
        if (Remaining == 0 || maxLength <= 0)
        {
            return [];
        }

        GuestBuffer buffer = _buffers[_buffer];
        int length = (int)Math.Min((uint)maxLength, buffer.Length - _offset);
        return _memory.GetSpan(new GuestAddress(buffer.Address.Value + _offset), length);
    }

    /// <summary>Consumes <paramref name="count"/> bytes of the span <see cref="NextSpan"/> returned.</summary>
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
