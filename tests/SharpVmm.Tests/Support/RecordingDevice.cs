using System.Collections.Concurrent;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Tests.Support;

/// <summary>A bus device that records every access and answers reads from a function of the offset.</summary>
public sealed class RecordingDevice : IBusDevice
{
    private readonly Func<ulong, int, ulong> _readValue;

    public RecordingDevice(Func<ulong, int, ulong>? readValue = null) => _readValue = readValue ?? ((_, _) => 0);

    public ConcurrentQueue<Access> Accesses { get; } = new();

    public IEnumerable<Access> Writes => Accesses.Where(a => a.IsWrite);

    public void Read(ulong offset, Span<byte> data)
    {
        ulong value = _readValue(offset, data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(value >> (8 * i));
        }

        Accesses.Enqueue(new Access(offset, false, data.ToArray()));
    }

    /// <summary>Raised after each write, on the vCPU's thread.</summary>
    public event Action? Written;

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Accesses.Enqueue(new Access(offset, true, data.ToArray()));
        Written?.Invoke();
    }

    public sealed record Access(ulong Offset, bool IsWrite, byte[] Data)
    {
        public ulong Value => Data.Select((b, i) => (ulong)b << (8 * i)).Aggregate(0UL, (a, b) => a | b);
    }
}
