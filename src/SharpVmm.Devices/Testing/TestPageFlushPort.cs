using System.Buffers.Binary;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Testing;

/// <summary>
/// The page-flush port of QEMU's <c>pc-testdev</c> (4 ports at 0xe4): a test writes a guest-physical address, 32 bits
/// wide, and the VMM makes KVM forget how it maps the 4 KiB page holding it, so the guest's next access to that page
/// faults into KVM again. The page's contents do not change: this tests KVM's MMU, not the guest's.
/// </summary>
/// <remarks>
/// As in QEMU, only an aligned 4-byte write counts; narrower or misaligned ones are ignored, and reads return 0.
/// The device only reports the page (the address with its low 12 bits cleared) through the injected callback.
/// </remarks>
public sealed class TestPageFlushPort : IBusDevice
{
    /// <summary>Ports the device decodes.</summary>
    public const ushort PortCount = 4;

    private const uint PageMask = ~0xFFFu;

    private readonly Action<ulong> _flushPage;
    private long _flushes;

    /// <summary>Creates the port; <paramref name="flushPage"/> gets the page-aligned guest-physical address of each flush.</summary>
    public TestPageFlushPort(Action<ulong> flushPage)
    {
        ArgumentNullException.ThrowIfNull(flushPage);
        _flushPage = flushPage;
    }

    /// <summary>Flushes requested so far.</summary>
    public long FlushCount => Interlocked.Read(ref _flushes);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = offset + (ulong)i < PortCount ? (byte)0 : (byte)0xFF;
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset != 0 || data.Length != 4)
        {
            return;
        }

        Interlocked.Increment(ref _flushes);
        _flushPage(BinaryPrimitives.ReadUInt32LittleEndian(data) & PageMask);
    }
}
