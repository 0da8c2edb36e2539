namespace SharpVmm.Devices.Virtio.Block;

/// <summary>A disk image file that cannot be opened or used as asked (missing, unreadable, not writable).</summary>
public sealed class DiskImageException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public DiskImageException(string path, string problem, Exception? inner = null)
        : base($"disk image '{path}': {problem}", inner)
    {
        Path = path;
    }

    /// <summary>The image file.</summary>
    public string Path { get; }
}
