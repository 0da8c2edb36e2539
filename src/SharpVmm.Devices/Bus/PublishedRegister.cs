using System.Runtime.CompilerServices;
namespace SharpVmm.Devices.Bus;

/// <summary>
/// A one-byte register whose value its device publishes, so that the bus answers a read of it without calling the
/// device (<see cref="IPublishesRegisters"/>). A device publishes the value only while reading the register changes
/// nothing, and publishes it again, under its own lock, whenever the value may have changed. While a read would have
/// an effect (clearing a flag, taking a byte), the device withdraws the value and reads reach it as before. A UART's
/// line status, which a polling driver reads before every byte it prints, is what it is for: such a read then costs
/// the exit path a lookup instead of a call into the device and its lock.
/// </summary>
/// <param name="offset">The register's offset from its device's first address.</param>
public sealed class PublishedRegister(ulong offset)
{
    private const int Withdrawn = -1;
    private int _value = Withdrawn;

    /// <summary>The register's offset from its device's first address.</summary>
    public ulong Offset { get; } = offset;

    /// <summary>Whether a value is published now.</summary>
    public bool IsPublished => Volatile.Read(ref _value) != Withdrawn;

    /// <summary>Reads of the register answer <paramref name="value"/> until the next call.</summary>
    public void Publish(byte value) => Volatile.Write(ref _value, value);

    /// <summary>Reads of the register reach the device again.</summary>
    public void Withdraw() => Volatile.Write(ref _value, Withdrawn);

    /// <summary>The published value; false when it is withdrawn (the device must answer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool TryRead(out byte value)
    {
        int published = Volatile.Read(ref _value);
        value = (byte)published;
        return published != Withdrawn;
    }
}
