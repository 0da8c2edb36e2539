using Microsoft.Win32.SafeHandles;
using SharpVmm.Sys;

namespace SharpVmm.Memory;

/// <summary>
/// Guest memory as a snapshot's memory file: the regions one after another in address order, so the file is exactly
/// <see cref="GuestRamLayout.TotalSize"/> bytes. A full file is written sparse (pages of zeros are holes and take no
/// disk); a diff file holds only the pages that changed, as data, at their own offsets, and is merged onto the full file
/// it follows with <see cref="MergeDiff"/>. A file is brought back either mapped copy-on-write (<c>MAP_PRIVATE</c>:
/// nothing is read until the guest touches it) or copied in.
/// </summary>
public static class GuestMemoryFile
{
    private const int PageSize = (int)GuestMemoryRegion.PageSize;

    /// <summary>Writes every non-zero page of <paramref name="memory"/> to a new file at <paramref name="path"/>; returns the bytes written.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static long WriteFull(GuestMemory memory, string path)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return WriteThroughTemporary(path, file => WritePages(memory, file, (_, region, page) => IsNonZero(region, page)));
    }

    /// <summary>
    /// Writes the pages <paramref name="changed"/> marks (per region, one bit per page as KVM's dirty log and
    /// <see cref="GuestMemoryRegion.TakeWrittenPages"/> give them) to a new file at <paramref name="path"/> as data, even
    /// pages of zeros, so that <see cref="MergeDiff"/> finds them; returns the bytes written.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static long WriteDiff(GuestMemory memory, string path, IReadOnlyList<ulong[]> changed)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(changed);
        if (changed.Count != memory.Regions.Count)
        {
            throw new ArgumentException($"{changed.Count} bitmaps for {memory.Regions.Count} regions", nameof(changed));
        }

        return WriteThroughTemporary(path, file => WritePages(memory, file, (r, _, page) => IsSet(changed[r], page)));
    }

    // Writes, region by region, the pages `chosen(region index, region, page)` picks, a run of up to 256 pages per call,
    // at their own offsets; the rest of the file stays a hole. Returns the bytes written.
    private static long WritePages(GuestMemory memory, SafeFileHandle file, Func<int, GuestMemoryRegion, ulong, bool> chosen)
    {
        long written = 0, fileOffset = 0;
        for (int r = 0; r < memory.Regions.Count; r++)
        {
            GuestMemoryRegion region = memory.Regions[r];
            ulong pages = region.Size / (ulong)PageSize;
            for (ulong page = 0; page < pages;)
            {
                ulong first = page;
                while (page < pages && page - first < 256 && chosen(r, region, page))
                {
                    page++;
                }

                if (page == first)
                {
                    page++;
                    continue;
                }

                int length = (int)(page - first) * PageSize;
                RandomAccess.Write(file, region.PeekAt(first * (ulong)PageSize, length), fileOffset + (long)(first * (ulong)PageSize));
                written += length;
            }

            fileOffset += (long)region.Size;
        }

        RandomAccess.SetLength(file, fileOffset);
        FileSync(file);
        return written;
    }

    private static bool IsNonZero(GuestMemoryRegion region, ulong page) =>
        region.PeekAt(page * (ulong)PageSize, PageSize).IndexOfAnyExcept((byte)0) >= 0;

    /// <summary>
    /// Copies the data of the diff file <paramref name="diffPath"/> (what <see cref="WriteDiff"/> wrote) onto the memory
    /// file <paramref name="basePath"/> it follows, so that the base file becomes the memory at the diff's moment.
    /// Returns the bytes copied.
    /// </summary>
    /// <exception cref="IOException">A file cannot be read or written, or their sizes differ.</exception>
    public static long MergeDiff(string diffPath, string basePath)
    {
        using SafeFileHandle diff = File.OpenHandle(diffPath, FileMode.Open, FileAccess.Read);
        using SafeFileHandle target = File.OpenHandle(basePath, FileMode.Open, FileAccess.Write);
        long size = RandomAccess.GetLength(diff);
        if (size != RandomAccess.GetLength(target))
        {
            throw new IOException($"the diff {diffPath} is {size} bytes and the memory file {basePath} {RandomAccess.GetLength(target)}: they are not of the same VM");
        }

        var buffer = new byte[1 << 20];
        long copied = 0;
        for (long offset = 0; offset < size;)
        {
            long data = Libc.LSeek(diff, offset, Libc.SeekData);
            if (data < 0)
            {
                break; // ENXIO: no data after offset
            }

            long hole = Math.Min(size, Libc.LSeek(diff, data, Libc.SeekHole) is var h && h >= 0 ? h : size);
            for (long at = data; at < hole;)
            {
                int read = RandomAccess.Read(diff, buffer.AsSpan(0, (int)Math.Min(buffer.Length, hole - at)), at);
                if (read <= 0)
                {
                    throw new IOException($"{diffPath} ended early at byte {at}");
                }

                RandomAccess.Write(target, buffer.AsSpan(0, read), at);
                at += read;
                copied += read;
            }

            offset = hole;
        }

        FileSync(target);
        return copied;
    }

    /// <summary>
    /// Guest memory of <paramref name="layout"/> from the memory file at <paramref name="path"/>: mapped
    /// <c>MAP_PRIVATE</c> (copy-on-write, read lazily) or, with <paramref name="copy"/>, copied into anonymous memory.
    /// </summary>
    /// <exception cref="GuestMemoryException">The file is not of the layout's size, or cannot be mapped or read.</exception>
    public static GuestMemory Load(string path, GuestRamLayout layout, bool copy, bool transparentHugePages = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GuestMemoryException($"cannot open the memory file {path}: {ex.Message}");
        }

        using (file)
        {
            long length = RandomAccess.GetLength(file);
            if ((ulong)length != layout.TotalSize)
            {
                throw new GuestMemoryException($"the memory file {path} is {length} bytes; the snapshot's guest has {layout.TotalSize} bytes of memory");
            }

            if (!copy)
            {
                // The mappings keep the file's pages; the descriptor can close once they exist.
                var regions = new List<GuestMemoryRegion>();
                long offset = 0;
                try
                {
                    foreach (GuestRamRange range in layout.Ranges)
                    {
                        regions.Add(GuestMemoryRegion.MapFile(range.Start, range.Size, file, offset));
                        offset += (long)range.Size;
                    }

                    return new GuestMemory(regions);
                }
                catch
                {
                    regions.ForEach(r => r.Dispose());
                    throw;
                }
            }

            GuestMemory memory = layout.CreateMemory(transparentHugePages);
            try
            {
                long offset = 0;
                foreach (GuestMemoryRegion region in memory.Regions)
                {
                    for (ulong at = 0; at < region.Size;)
                    {
                        int chunk = (int)Math.Min(1UL << 30, region.Size - at);
                        int read = RandomAccess.Read(file, region.PokeAt(at, chunk), offset + (long)at);
                        if (read <= 0)
                        {
                            throw new GuestMemoryException($"the memory file {path} ended early at byte {offset + (long)at}");
                        }

                        at += (ulong)read;
                    }

                    offset += (long)region.Size;
                }

                return memory;
            }
            catch
            {
                memory.Dispose();
                throw;
            }
        }
    }

    // A memory file is written beside its final name and renamed into place: a VM restored from the file it replaces
    // keeps the old one mapped (truncating a file under a MAP_PRIVATE mapping would fault that VM's untouched pages),
    // and a snapshot that fails half-way leaves the previous file whole.
    private static long WriteThroughTemporary(string path, Func<SafeFileHandle, long> write)
    {
        string temporary = path + ".partial";
        try
        {
            long written;
            using (SafeFileHandle file = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                written = write(file);
            }

            File.Move(temporary, path, overwrite: true);
            return written;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static bool IsSet(ulong[] bitmap, ulong page) => page / 64 < (ulong)bitmap.Length && (bitmap[page / 64] & (1UL << (int)(page % 64))) != 0;

    private static void FileSync(SafeFileHandle file)
    {
        if (Libc.FDataSync(file) != 0)
        {
            throw new IOException($"fdatasync failed: {Errno.Message(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        }
    }
}
