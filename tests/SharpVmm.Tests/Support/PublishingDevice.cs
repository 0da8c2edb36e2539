using System.Collections.Concurrent;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A device with two published registers: <see cref="Status"/> at offset 5 (a UART's LSR), and <see cref="Control"/> at
/// offset 1, whose own value written back changes nothing (a UART's IER). It counts the reads reaching it and answers
/// them with 0xD0 + offset, records the single writes reaching it, and records the runs of writes it is given.
/// </summary>
public sealed class PublishingDevice : IRepeatedWriteDevice, IPublishesRegisters
{
    private int _reads;

    public PublishedRegister Status { get; } = new(5);

    public PublishedRegister Control { get; } = new(1, rewritesChangeNothing: true);

    public int Reads => Volatile.Read(ref _reads);

    public ConcurrentQueue<(ulong Offset, byte Value)> Writes { get; } = new();

    public List<(ulong Offset, int AccessSize, string Data)> Runs { get; } = [];

    public IReadOnlyList<PublishedRegister> PublishedRegisters => [Status, Control];

    public void Read(ulong offset, Span<byte> data)
    {
        Interlocked.Increment(ref _reads);
        data.Fill((byte)(0xD0 + offset));
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Enqueue((offset, data[0]));

    public void WriteRepeated(ulong offset, int accessSize, ReadOnlySpan<byte> data) =>
        Runs.Add((offset, accessSize, System.Text.Encoding.ASCII.GetString(data)));
}
