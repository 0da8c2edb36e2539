using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Testing;

/// <summary>
/// The 32-bit scratch register of QEMU's <c>pc-testdev</c>: a test guest writes a value and reads it back, at any width.
/// QEMU decodes it twice, at ports 0xe0-0xe3 and, byte by byte, at 0xe8-0xeb; register the same instance at both.
/// </summary>
/// <remarks>
/// Port offset n holds byte n of the register, little-endian: a write of width w at offset n replaces bytes n..n+w-1 and
/// leaves the others, and a read returns them. QEMU gets the same result at both windows because its memory core cuts
/// every access into naturally aligned pieces, each of which lands on its own bytes. Bytes of an access that run past the
/// fourth port are not the register's: they read as all ones and their writes are dropped.
/// </remarks>
public sealed class TestDataRegister : IBusDevice
{
    /// <summary>Ports one window of the register decodes.</summary>
    public const ushort PortCount = 4;

    private uint _value;

    /// <summary>The register's current value.</summary>
    public uint Value => Volatile.Read(ref _value);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        uint value = Value;
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            data[i] = at < PortCount ? (byte)(value >> (int)(at * 8)) : (byte)0xFF;
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        uint mask = 0, bits = 0;
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            if (at < PortCount)
            {
                int shift = (int)(at * 8);
                mask |= 0xFFu << shift;
                bits |= (uint)data[i] << shift;
            }
        }

        // Other vCPUs may write other bytes at the same time: replace only ours, atomically.
        uint seen = Volatile.Read(ref _value);
        while (true)
        {
            uint next = (seen & ~mask) | bits;
            uint found = Interlocked.CompareExchange(ref _value, next, seen);
            if (found == seen)
            {
                return;
            }

            seen = found;
        }
    }
}
