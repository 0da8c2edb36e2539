using SharpVmm.Boot.Elf;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Multiboot;

/// <summary>
/// Where a Multiboot kernel's bytes go: from the a.out-kludge address fields (Multiboot 0.6.96 section 3.1.3) or, without
/// them, from the ELF program headers (section 3.1.3: "does not need to be provided if the kernel image is in ELF format").
/// Checks the image's own consistency; the caller checks it against guest memory.
/// </summary>
internal sealed class MultibootKernelImage
{
    private static readonly byte[] ElfMagic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    private MultibootKernelImage(IReadOnlyList<MultibootSegment> segments, uint entry)
    {
        Segments = segments;
        Entry = entry;
    }

    /// <summary>The ranges to load: bytes from the file at their physical address, zeroed up to the memory size.</summary>
    public IReadOnlyList<MultibootSegment> Segments { get; }

    /// <summary>The physical entry point.</summary>
    public uint Entry { get; }

    /// <summary>Lowest physical address loaded.</summary>
    public ulong Start => Segments.Min(s => s.Address);

    /// <summary>First physical address above everything loaded.</summary>
    public ulong End => Segments.Max(s => s.End);

    /// <summary>Works out what <paramref name="image"/> loads where.</summary>
    /// <exception cref="BootImageException">The address fields or ELF headers are inconsistent, or the entry point is not in the loaded image.</exception>
    public static MultibootKernelImage Resolve(MultibootHeader header, ReadOnlySpan<byte> image, string name) =>
        header.HasAoutKludge ? FromAoutKludge(header, image, name) : FromElf(image, name);

    /// <summary>Copies the segments and zeroes their bss; the caller has checked they lie in guest memory.</summary>
    public void LoadInto(GuestMemory memory, ReadOnlySpan<byte> image)
    {
        foreach (MultibootSegment segment in Segments)
        {
            var address = new GuestAddress(segment.Address);
            memory.Write(address, image.Slice((int)segment.FileOffset, (int)segment.FileSize));
            ulong zeroed = segment.FileSize;
            while (zeroed < segment.MemorySize)
            {
                int chunk = (int)Math.Min(segment.MemorySize - zeroed, 1UL << 30);
                memory.GetSpan(address.Add(zeroed), chunk).Clear();
                zeroed += (ulong)chunk;
            }
        }
    }

    private static MultibootKernelImage FromAoutKludge(MultibootHeader h, ReadOnlySpan<byte> image, string name)
    {
        if (h.HeaderAddress < h.LoadAddress)
        {
            throw Malformed(name, $"header_addr 0x{h.HeaderAddress:x} is below load_addr 0x{h.LoadAddress:x}");
        }

        ulong headerDistance = h.HeaderAddress - h.LoadAddress;
        if (headerDistance > (ulong)h.Offset)
        {
            throw Malformed(name,
                $"header_addr 0x{h.HeaderAddress:x} - load_addr 0x{h.LoadAddress:x} = 0x{headerDistance:x} puts the load start before the file's first byte (header at file offset 0x{h.Offset:x})");
        }

        ulong fileOffset = (ulong)h.Offset - headerDistance;
        ulong loadSize;
        if (h.LoadEndAddress == 0)
        {
            loadSize = (ulong)image.Length - fileOffset;
        }
        else if (h.LoadEndAddress < h.LoadAddress)
        {
            throw Malformed(name, $"load_end_addr 0x{h.LoadEndAddress:x} is before load_addr 0x{h.LoadAddress:x}");
        }
        else
        {
            loadSize = h.LoadEndAddress - h.LoadAddress;
            if (loadSize > (ulong)image.Length - fileOffset)
            {
                throw new BootImageException(name, BootImageError.Truncated,
                    $"load_addr 0x{h.LoadAddress:x} to load_end_addr 0x{h.LoadEndAddress:x} is {loadSize} bytes from file offset 0x{fileOffset:x}, past the end of the {image.Length}-byte file");
            }
        }

        ulong loadEnd = h.LoadAddress + loadSize;
        ulong memoryEnd = loadEnd;
        if (h.BssEndAddress != 0)
        {
            if (h.BssEndAddress < loadEnd)
            {
                throw Malformed(name, $"bss_end_addr 0x{h.BssEndAddress:x} is before the end of the loaded bytes 0x{loadEnd:x}");
            }

            memoryEnd = h.BssEndAddress;
        }

        if (h.EntryAddress < h.LoadAddress || h.EntryAddress >= loadEnd)
        {
            throw Malformed(name, $"entry_addr 0x{h.EntryAddress:x} is outside the loaded image [0x{h.LoadAddress:x}, 0x{loadEnd:x})");
        }

        return new MultibootKernelImage([new MultibootSegment(fileOffset, h.LoadAddress, loadSize, memoryEnd - h.LoadAddress)], h.EntryAddress);
    }

    private static MultibootKernelImage FromElf(ReadOnlySpan<byte> image, string name)
    {
        if (image.Length < ElfMagic.Length || !image[..ElfMagic.Length].SequenceEqual(ElfMagic))
        {
            throw new BootImageException(name, BootImageError.Unsupported,
                "Multiboot header has no a.out kludge (flags bit 16) and the file is not ELF: SharpVmm cannot tell where to load it");
        }

        ElfImage elf = ElfImage.Parse(name, image);
        var segments = elf.LoadSegments.Where(p => p.MemorySize > 0)
            .Select(p => new MultibootSegment(p.Offset, p.PhysicalAddress, p.FileSize, p.MemorySize)).ToList();

        // GRUB's reading of the spec: e_entry is a virtual address inside a PT_LOAD; the kernel is entered at its physical twin.
        ulong? physicalEntry = null;
        foreach (ElfProgramHeader p in elf.LoadSegments)
        {
            if (elf.Entry >= p.VirtualAddress && elf.Entry - p.VirtualAddress < p.FileSize)
            {
                physicalEntry = p.PhysicalAddress + (elf.Entry - p.VirtualAddress);
                break;
            }
        }

        if (physicalEntry is not { } entry)
        {
            throw new BootImageException(name, BootImageError.Malformed,
                $"ELF entry point e_entry 0x{elf.Entry:x} is not inside the file bytes of any PT_LOAD segment");
        }

        if (entry > uint.MaxValue)
        {
            throw new BootImageException(name, BootImageError.Unsupported,
                $"ELF entry point at physical 0x{entry:x} is above 4 GiB; a Multiboot kernel is entered in 32-bit protected mode");
        }

        return new MultibootKernelImage(segments, (uint)entry);
    }

    private static BootImageException Malformed(string name, string problem) =>
        new(name, BootImageError.Malformed, $"Multiboot a.out kludge: {problem}");
}
