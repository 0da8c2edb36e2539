using System.Buffers.Binary;
using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio.Balloon;

// inflateq and deflateq: arrays of le32 page frame numbers (virtio 1.2, 5.5.6).
public sealed partial class VirtioBalloonDevice
{
    /// <summary>Most frame numbers taken from one request (Linux sends 256); the rest of a longer one is ignored.</summary>
    public const int MaxPfnsPerRequest = 65536;

    private readonly byte[] _pfnBytes = new byte[MaxPfnsPerRequest * sizeof(uint)];
    private readonly uint[] _pfns = new uint[MaxPfnsPerRequest];
    private GuestMemory? _memory;

    /// <summary>
    /// Returns the host memory of each page the driver put in the balloon. The frame numbers are sorted so that
    /// adjacent pages go back to the host as one range.
    /// </summary>
    private uint Inflate(DescriptorChain chain)
    {
        int count = ReadPfns(chain);
        if (_memory is not { } memory || count == 0)
        {
            return 0;
        }

        Span<uint> pfns = _pfns.AsSpan(0, count);
        pfns.Sort();
        ulong runStart = 0, runPages = 0;
        long valid = 0, invalid = 0;
        for (int i = 0; i < pfns.Length; i++)
        {
            if (i > 0 && pfns[i] == pfns[i - 1])
            {
                continue; // a page named twice goes back once
            }

            ulong address = (ulong)pfns[i] * PageSize;
            if (!memory.Contains(new GuestAddress(address), PageSize))
            {
                invalid++;
                continue;
            }

            valid++;
            if (runPages > 0 && address == runStart + (runPages * PageSize)
                && memory.Contains(new GuestAddress(runStart), (runPages + 1) * PageSize))
            {
                runPages++;
                continue;
            }

            ReturnToHost(memory, runStart, runPages);
            runStart = address;
            runPages = 1;
        }

        ReturnToHost(memory, runStart, runPages);
        Interlocked.Add(ref _inflatedPages, valid);
        Interlocked.Add(ref _invalidPfns, invalid);
        return 0;
    }

    /// <summary>Counts the pages the driver took back; their host memory comes back by itself when the guest touches them.</summary>
    private uint Deflate(DescriptorChain chain)
    {
        int count = ReadPfns(chain);
        if (_memory is not { } memory)
        {
            return 0;
        }

        long valid = 0;
        foreach (uint pfn in _pfns.AsSpan(0, count))
        {
            if (memory.Contains(new GuestAddress((ulong)pfn * PageSize), PageSize))
            {
                valid++;
            }
        }

        Interlocked.Add(ref _deflatedPages, valid);
        Interlocked.Add(ref _invalidPfns, count - valid);
        return 0;
    }

    private void ReturnToHost(GuestMemory memory, ulong start, ulong pages)
    {
        if (pages == 0)
        {
            return;
        }

        Interlocked.Increment(ref _discardCalls);
        if (memory.Discard(new GuestAddress(start), pages * PageSize))
        {
            Interlocked.Add(ref _bytesReturned, (long)(pages * PageSize));
        }
    }

    /// <summary>
    /// Reads the chain's frame numbers into <see cref="_pfns"/> and returns how many. A request with nothing readable,
    /// a partial entry at its end or more than <see cref="MaxPfnsPerRequest"/> entries is counted as malformed; its
    /// whole entries (up to the limit) are still taken.
    /// </summary>
    private int ReadPfns(DescriptorChain chain)
    {
        uint length = chain.ReadableLength;
        if (length == 0 || length % sizeof(uint) != 0 || length / sizeof(uint) > MaxPfnsPerRequest)
        {
            Interlocked.Increment(ref _malformedRequests);
        }

        int count = (int)Math.Min(length / sizeof(uint), MaxPfnsPerRequest);
        Span<byte> bytes = _pfnBytes.AsSpan(0, count * sizeof(uint));
        count = chain.CreateReader().Read(bytes) / sizeof(uint);
        for (int i = 0; i < count; i++)
        {
            _pfns[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * sizeof(uint))..]);
        }

        return count;
    }
}
