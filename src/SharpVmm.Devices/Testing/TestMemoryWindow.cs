using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Testing;

/// <summary>
/// The MMIO window of QEMU's <c>pc-testdev</c> (64 KiB at 0xff000000): device memory that reads back what was written,
/// so a test can exercise KVM's MMIO emulation (every access is an exit) with instructions of any width.
/// </summary>
/// <remarks>
/// Byte n of the window is byte n of a buffer that starts zeroed. QEMU cuts wider or misaligned accesses into naturally
/// aligned pieces of at most 4 bytes, which gives the same bytes as copying the access whole, as this device does; each
/// access is atomic with respect to other vCPUs. Bytes past the window read as all ones and their writes are dropped.
/// </remarks>
public sealed class TestMemoryWindow : IBusDevice
{
    /// <summary>Size of the window in bytes.</summary>
    public const ulong Length = 0x1_0000;

    private readonly byte[] _buffer = new byte[Length];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xFF);
        lock (_lock)
        {
            Inside(offset, data.Length).CopyTo(data);
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            Span<byte> target = Inside(offset, data.Length);
            data[..target.Length].CopyTo(target);
        }
    }

    /// <summary>A copy of <paramref name="count"/> bytes of the window from <paramref name="offset"/>, for tests and tracing.</summary>
    public byte[] Snapshot(ulong offset, int count)
    {
        var copy = new byte[count];
        Read(offset, copy);
        return copy;
    }

    private Span<byte> Inside(ulong offset, int length) =>
        offset >= Length ? [] : _buffer.AsSpan((int)offset, (int)Math.Min((ulong)length, Length - offset));
}
