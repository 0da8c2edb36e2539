using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The POST diagnostic port (0x80, one port): firmware writes progress codes to it and Linux writes to it as an I/O
/// delay. Writes are kept (last code, count) and reported through an optional callback; reads return 0xFF, as the
/// port is write-only on an ISA POST card and on QEMU.
/// </summary>
public sealed class PostCodePort : IBusDevice
{
    /// <summary>Number of I/O ports the device decodes.</summary>
    public const int PortCount = 1;

    private readonly Action<byte>? _codeWritten;
    private long _writes;
    private int _lastCode = -1;

    /// <summary>Creates the port; <paramref name="codeWritten"/>, if given, is called with every code the guest writes.</summary>
    public PostCodePort(Action<byte>? codeWritten = null) => _codeWritten = codeWritten;

    /// <summary>The last code written, or null if none was.</summary>
    public byte? LastCode => Volatile.Read(ref _lastCode) is int code and >= 0 ? (byte)code : null;

    /// <summary>Number of writes so far.</summary>
    public long WriteCount => Interlocked.Read(ref _writes);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data) => data.Fill(0xFF);

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        // A wider write puts its low byte on port 0x80.
        byte code = data[0];
        Volatile.Write(ref _lastCode, code);
        Interlocked.Increment(ref _writes);
        _codeWritten?.Invoke(code);
    }
}
