using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

/// <summary>One port of an <see cref="I8042Controller"/>, for registering the data and status/command ports separately.</summary>
internal sealed class I8042Port : IBusDevice, IPublishesRegisters
{
    private readonly I8042Controller _controller;
    private readonly ulong _offset;

    public I8042Port(I8042Controller controller, ulong offset)
    {
        _controller = controller;
        _offset = offset;
        PublishedRegisters = offset == I8042Controller.StatusCommandOffset ? [controller.StatusAlone] : [];
    }

    /// <inheritdoc />
    public IReadOnlyList<PublishedRegister> PublishedRegisters { get; }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        if (offset == 0)
        {
            _controller.Read(_offset, data);
        }
        else
        {
            data.Fill(0xFF);
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset == 0)
        {
            _controller.Write(_offset, data);
        }
    }
}
