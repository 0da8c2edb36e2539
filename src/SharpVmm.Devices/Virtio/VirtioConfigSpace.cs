namespace SharpVmm.Devices.Virtio;

/// <summary>Reads of a device's configuration space laid out in a byte image (what <see cref="IVirtioDevice.ReadConfig"/> returns).</summary>
internal static class VirtioConfigSpace
{
    /// <summary>Copies the bytes of <paramref name="config"/> at <paramref name="offset"/> into <paramref name="data"/>; bytes past its end read as 0.</summary>
    public static void Read(ReadOnlySpan<byte> config, uint offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            data[i] = at < (ulong)config.Length ? config[(int)at] : (byte)0;
        }
    }
}
