namespace SharpVmm.Devices.Bus;

/// <summary>
/// A device that takes a run of writes to one register in one call, with the effect the same writes have one by one.
/// The bus uses it where it delivers many writes to one address at once: the writes KVM queued in its coalesced ring
/// (a UART's transmitted bytes), for one.
/// </summary>
public interface IRepeatedWriteDevice : IBusDevice
{
    /// <summary>
    /// The guest wrote each <paramref name="accessSize"/>-byte element of <paramref name="data"/> at
    /// <paramref name="offset"/>, in order: the same as that many <see cref="IBusDevice.Write"/> calls.
    /// </summary>
    void WriteRepeated(ulong offset, int accessSize, ReadOnlySpan<byte> data);
}
