namespace SharpVmm.Devices.Virtio.Entropy;

/// <summary>Where <see cref="VirtioEntropyDevice"/> gets its random bytes.</summary>
public interface IEntropySource
{
    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    /// <exception cref="IOException">The source failed.</exception>
    void Fill(Span<byte> destination);
}
