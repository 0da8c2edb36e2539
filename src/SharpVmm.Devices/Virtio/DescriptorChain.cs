using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A validated descriptor chain popped from a <see cref="VirtQueue"/> (virtio 1.2, 2.7.5): its head index (to give back
/// with <see cref="VirtQueue.AddUsed"/>) and its device-readable and device-writable buffers, in chain order. Every
/// buffer was checked to lie inside guest memory when the chain was popped.
/// </summary>
public sealed class DescriptorChain
{
    private readonly GuestMemory _memory;

    internal DescriptorChain(GuestMemory memory, ushort headIndex, GuestBuffer[] readable, GuestBuffer[] writable,
        uint readableLength, uint writableLength)
    {
        _memory = memory;
        HeadIndex = headIndex;
        Readable = readable;
        Writable = writable;
        ReadableLength = readableLength;
        WritableLength = writableLength;
    }

    /// <summary>Index of the chain's first descriptor in the descriptor table (the used element's id).</summary>
    public ushort HeadIndex { get; }

    /// <summary>The device-readable buffers, in order.</summary>
    public IReadOnlyList<GuestBuffer> Readable { get; }

    /// <summary>The device-writable buffers, in order.</summary>
    public IReadOnlyList<GuestBuffer> Writable { get; }

    /// <summary>Total bytes of the readable buffers.</summary>
    public uint ReadableLength { get; }

    /// <summary>Total bytes of the writable buffers.</summary>
    public uint WritableLength { get; }

    /// <summary>A reader that walks the readable buffers from the start.</summary>
    public DescriptorChainReader CreateReader() => new(_memory, Readable, ReadableLength);

    /// <summary>A writer that fills the writable buffers from the start.</summary>
    public DescriptorChainWriter CreateWriter() => new(_memory, Writable, WritableLength);
}
