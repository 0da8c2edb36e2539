using System.Buffers.Binary;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

/// <summary>
/// QEMU's <c>isa-debug-exit</c> device (hw/misc/debugexit.c): a test guest writes a value V to it and the VMM ends
/// with exit status <c>(V &lt;&lt; 1) | 1</c>, so a guest can never make the VMM report plain success (0). Register it
/// over <see cref="DefaultSize"/> ports at <see cref="DefaultPort"/>, QEMU's defaults (<c>iobase=0xf4,iosize=4</c>).
/// </summary>
/// <remarks>
/// As in QEMU, a write of any width from 1 to 4 bytes at any offset of the device counts, its value read
/// little-endian. Reads return 0, as QEMU's <c>debug_exit_read</c> does (not the all-ones of an unclaimed port), which
/// is the only way a guest can tell the device is there. The device only reports the request through the injected
/// callback; stopping the VM and choosing the process exit status is the caller's job. The status is an
/// <see cref="int"/> like QEMU's <c>exit()</c> argument; a host process keeps only its low 8 bits.
/// </remarks>
public sealed class DebugExitPort : IBusDevice
{
    /// <summary>QEMU's default I/O base for <c>isa-debug-exit</c>.</summary>
    public const ushort DefaultPort = 0xF4;

    /// <summary>QEMU's default I/O size for <c>isa-debug-exit</c>, in ports.</summary>
    public const ushort DefaultSize = 4;

    // debug_exit_ops: .valid.max_access_size = 4.
    private const int MaxAccessSize = 4;

    private readonly Action<int> _exitRequested;
    private long _lastValue = -1;
    private long _writes;

    /// <summary>Creates the device; <paramref name="exitRequested"/> is called with the exit status on every write.</summary>
    public DebugExitPort(Action<int> exitRequested)
    {
        ArgumentNullException.ThrowIfNull(exitRequested);
        _exitRequested = exitRequested;
    }

    /// <summary>The last value the guest wrote, or null if it wrote none.</summary>
    public uint? LastValue => Interlocked.Read(ref _lastValue) is long value and >= 0 ? (uint)value : null;

    /// <summary>The exit status the last write asked for, or null if the guest wrote none.</summary>
    public int? ExitStatus => LastValue is uint value ? ToExitStatus(value) : null;

    /// <summary>Number of writes so far.</summary>
    public long WriteCount => Interlocked.Read(ref _writes);

    /// <summary>The exit status QEMU gives for a written value: <c>(value &lt;&lt; 1) | 1</c>, truncated to 32 bits.</summary>
    public static int ToExitStatus(uint value) => unchecked((int)((value << 1) | 1));

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data) => data.Clear();

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        // Port I/O is at most 4 bytes wide; anything wider keeps its low 4 bytes.
        Span<byte> value = stackalloc byte[MaxAccessSize];
        value.Clear();
        data[..Math.Min(data.Length, MaxAccessSize)].CopyTo(value);
        uint written = BinaryPrimitives.ReadUInt32LittleEndian(value);

        Interlocked.Exchange(ref _lastValue, written);
        Interlocked.Increment(ref _writes);
        _exitRequested(ToExitStatus(written));
    }
}
