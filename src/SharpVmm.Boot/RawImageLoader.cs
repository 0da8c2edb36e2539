using SharpVmm.Memory;

namespace SharpVmm.Boot;

/// <summary>Loads a flat binary image byte for byte at a guest-physical address (no header, no relocation).</summary>
public static class RawImageLoader
{
    /// <summary>Reads <paramref name="path"/> and copies it to <paramref name="loadAddress"/>.</summary>
    /// <returns>The number of bytes loaded.</returns>
    /// <exception cref="BootImageException">The file is missing or unreadable, the address is outside memory, or the image does not fit.</exception>
    public static int Load(string path, GuestMemory memory, GuestAddress loadAddress)
    {
        return Load(path, ReadFile(path), memory, loadAddress);
    }

    /// <summary>
    /// Reads a whole image file (a raw image, kernel, initrd), turning every failure into a
    /// <see cref="BootImageException"/> that names the file and, through <paramref name="what"/>, its role.
    /// </summary>
    /// <exception cref="BootImageException">The file is missing or cannot be read.</exception>
    public static byte[] ReadFile(string path, string what = "image")
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BootImageException(path, BootImageError.Missing, $"{what} file not found", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new BootImageException(path, BootImageError.Unreadable, $"cannot read {what}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Maps a whole image file read-only (<see cref="Sys.MappedFile"/>): a loader copies only the parts it loads, from
    /// the page cache, instead of the whole file being read first. Failures are reported as by <see cref="ReadFile"/>.
    /// </summary>
    /// <exception cref="BootImageException">The file is missing or cannot be read or mapped.</exception>
    public static Sys.MappedFile MapFile(string path, string what = "image")
    {
        try
        {
            return Sys.MappedFile.Open(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BootImageException(path, BootImageError.Missing, $"{what} file not found", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new BootImageException(path, BootImageError.Unreadable, $"cannot read {what}: {ex.Message}", ex);
        }
    }

    /// <summary>Copies <paramref name="image"/> (named <paramref name="name"/> in errors) to <paramref name="loadAddress"/>.</summary>
    public static int Load(string name, ReadOnlySpan<byte> image, GuestMemory memory, GuestAddress loadAddress)
    {
        if (!memory.Contains(loadAddress, 1))
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory,
                $"load address {loadAddress} is outside guest memory ({FormatSize(memory.TotalSize)} at 0x0)");
        }

        if (!memory.Contains(loadAddress, (ulong)image.Length))
        {
            throw new BootImageException(name, BootImageError.TooLarge,
                $"image of {image.Length} bytes does not fit in guest memory at {loadAddress} ({FormatSize(memory.TotalSize)} of guest memory)");
        }

        memory.Write(loadAddress, image);
        return image.Length;
    }

    private static string FormatSize(ulong bytes) =>
        bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";
}
