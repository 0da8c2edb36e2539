namespace SharpVmm.Devices.Bus;

/// <summary>
/// A device on an I/O or MMIO bus. It sees only offsets from its own base, never absolute addresses,
/// so the same device can sit anywhere. Calls may come from several vCPU threads at once.
/// </summary>
public interface IBusDevice
{
    /// <summary>The guest reads <paramref name="data"/>.Length bytes at <paramref name="offset"/>; fill <paramref name="data"/>.</summary>
    void Read(ulong offset, Span<byte> data);

    /// <summary>The guest writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    void Write(ulong offset, ReadOnlySpan<byte> data);
}
