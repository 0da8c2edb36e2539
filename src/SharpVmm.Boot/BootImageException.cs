namespace SharpVmm.Boot;

/// <summary>A boot image cannot be loaded. The message says which file and what is wrong with it.</summary>
public sealed class BootImageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BootImageException(string path, BootImageError error, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Error = error;
    }

    /// <summary>The image file.</summary>
    public string Path { get; }

    /// <summary>The kind of problem.</summary>
    public BootImageError Error { get; }
}
