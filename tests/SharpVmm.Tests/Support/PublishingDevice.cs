using SharpVmm.Devices.Bus;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A device with one published register, <see cref="Status"/> at offset 5 (a UART's LSR), that counts the reads reaching
/// it, answers them with 0xD0 + offset, and records the runs of writes it is given; a single write is a test failure.
/// </summary>
public sealed class PublishingDevice : IRepeatedWriteDevice, IPublishesRegisters
{
    private int _reads;

    public PublishedRegister Status { get; } = new(5);

    public int Reads => Volatile.Read(ref _reads);

    public List<(ulong Offset, int AccessSize, string Data)> Runs { get; } = [];

    public IReadOnlyList<PublishedRegister> PublishedRegisters => [Status];

    public void Read(ulong offset, Span<byte> data)
    {
        Interlocked.Increment(ref _reads);
        data.Fill((byte)(0xD0 + offset));
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data) => throw new InvalidOperationException("runs come whole");

    public void WriteRepeated(ulong offset, int accessSize, ReadOnlySpan<byte> data) =>
        Runs.Add((offset, accessSize, System.Text.Encoding.ASCII.GetString(data)));
}
