using SharpVmm.Devices.Virtio.Entropy;

namespace SharpVmm.Fuzz;

/// <summary>"Random" bytes that are the same on every run, so that a fuzz input always does the same thing.</summary>
public sealed class PatternEntropySource : IEntropySource
{
    /// <inheritdoc />
    public void Fill(Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)(i * 13);
        }
    }
}
