using System.Buffers.Binary;
using SharpVmm.Exits;

namespace SharpVmm.Cli;

/// <summary>
/// <c>--trace-io</c>: prints every device access the way the classic kvmsample demo prints its exits
/// (<c>KVM_EXIT_IO</c> then <c>out port: 16, data: 0</c>), in decimal.
/// </summary>
public sealed class IoTraceWriter : IExitTracer
{
    private readonly TextWriter _out;
    private readonly Lock _lock = new();

    /// <summary>Creates a tracer writing to <paramref name="output"/>.</summary>
    public IoTraceWriter(TextWriter output) => _out = output;

    /// <inheritdoc />
    public void OnPortIo(int vcpuId, ushort port, bool isWrite, ReadOnlySpan<byte> data)
    {
        ulong value = Value(data);
        lock (_lock)
        {
            _out.Write("KVM_EXIT_IO\n");
            _out.Write($"{(isWrite ? "out" : "in")} port: {port}, data: {value}\n");
        }
    }

    /// <inheritdoc />
    public void OnMmio(int vcpuId, ulong address, bool isWrite, ReadOnlySpan<byte> data)
    {
        ulong value = Value(data);
        lock (_lock)
        {
            _out.Write("KVM_EXIT_MMIO\n");
            _out.Write($"mmio {(isWrite ? "write" : "read")} addr: 0x{address:x}, len: {data.Length}, data: {value}\n");
        }
    }

    private static ulong Value(ReadOnlySpan<byte> data)
    {
        Span<byte> wide = stackalloc byte[8];
        wide.Clear();
        data[..Math.Min(data.Length, 8)].CopyTo(wide);
        return BinaryPrimitives.ReadUInt64LittleEndian(wide);
    }
}
