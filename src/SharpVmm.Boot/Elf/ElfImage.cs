using System.Buffers.Binary;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Elf;

/// <summary>
/// A checked little-endian x86 or x86-64 ELF executable (ELF32 or ELF64): header, program headers and notes.
/// Format-neutral, so PVH, multiboot and raw-ELF loaders can share it. Holds no file bytes: pass the file again to
/// <see cref="LoadSegmentsInto"/>.
/// </summary>
public sealed class ElfImage
{
    /// <summary>e_machine for Intel 80386 (EM_386).</summary>
    public const ushort MachineI386 = 3;

    /// <summary>e_machine for AMD x86-64 (EM_X86_64).</summary>
    public const ushort MachineX86_64 = 62;

    private const int IdentSize = 16;
    private const uint SectionTypeNote = 7;

    private ElfImage(string name, ElfClass elfClass, ushort type, ushort machine, ulong entry,
        IReadOnlyList<ElfProgramHeader> programHeaders, IReadOnlyList<ElfNote> notes)
    {
        Name = name;
        Class = elfClass;
        Type = type;
        Machine = machine;
        Entry = entry;
        ProgramHeaders = programHeaders;
        Notes = notes;
    }

    /// <summary>The name errors use (usually the path).</summary>
    public string Name { get; }

    /// <summary>ELF32 or ELF64.</summary>
    public ElfClass Class { get; }

    /// <summary>e_type (ET_EXEC = 2, ET_DYN = 3).</summary>
    public ushort Type { get; }

    /// <summary>e_machine: <see cref="MachineI386"/> or <see cref="MachineX86_64"/>.</summary>
    public ushort Machine { get; }

    /// <summary>e_entry (a virtual address).</summary>
    public ulong Entry { get; }

    /// <summary>All program headers, in file order.</summary>
    public IReadOnlyList<ElfProgramHeader> ProgramHeaders { get; }

    /// <summary>The PT_LOAD segments, in file order (checked: in the file, p_filesz &lt;= p_memsz, no physical overlap).</summary>
    public IEnumerable<ElfProgramHeader> LoadSegments => ProgramHeaders.Where(p => p.Type == ElfSegmentType.Load);

    /// <summary>Notes from the PT_NOTE segments, or from SHT_NOTE sections when there is no PT_NOTE.</summary>
    public IReadOnlyList<ElfNote> Notes { get; }

    /// <summary>The lowest physical address any PT_LOAD segment occupies.</summary>
    public ulong PhysicalStart => LoadSegments.Min(p => p.PhysicalAddress);

    /// <summary>The first physical address above every PT_LOAD segment (bss included).</summary>
    public ulong PhysicalEnd => LoadSegments.Max(p => p.PhysicalEnd);

    /// <summary>Parses and checks <paramref name="file"/> (named <paramref name="name"/> in errors).</summary>
    /// <exception cref="BootImageException">The file is truncated, not ELF, not little-endian x86, or its headers are inconsistent.</exception>
    public static ElfImage Parse(string name, ReadOnlySpan<byte> file)
    {
        if (file.Length < IdentSize)
        {
            throw new BootImageException(name, BootImageError.Truncated, $"file is {file.Length} bytes, too short for an ELF header");
        }

        if (!file[..4].SequenceEqual("\u007fELF"u8))
        {
            throw new BootImageException(name, BootImageError.BadMagic, "no ELF magic (7f 45 4c 46) at offset 0: not an ELF file");
        }

        var elfClass = (ElfClass)file[4];
        if (elfClass is not (ElfClass.Elf32 or ElfClass.Elf64))
        {
            throw new BootImageException(name, BootImageError.Malformed, $"unknown ELF class {file[4]} (neither ELF32 nor ELF64)");
        }

        if (file[5] != 1)
        {
            throw new BootImageException(name, BootImageError.Unsupported, $"ELF data encoding {file[5]} is not little-endian");
        }

        bool is64 = elfClass == ElfClass.Elf64;
        int headerSize = is64 ? 64 : 52;
        if (file.Length < headerSize)
        {
            throw new BootImageException(name, BootImageError.Truncated,
                $"file is {file.Length} bytes, too short for its {headerSize}-byte {elfClass} header");
        }

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(file[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(file[18..]);
        if (machine is not (MachineI386 or MachineX86_64))
        {
            throw new BootImageException(name, BootImageError.Unsupported, $"ELF machine {machine} is not x86 (3) or x86-64 (62)");
        }

        if (type is not (2 or 3))
        {
            throw new BootImageException(name, BootImageError.Unsupported, $"ELF type {type} is not an executable (ET_EXEC or ET_DYN)");
        }

        ulong entry = is64 ? Read64(file, 24) : Read32(file, 24);
        ulong phOffset = is64 ? Read64(file, 32) : Read32(file, 28);
        ulong shOffset = is64 ? Read64(file, 40) : Read32(file, 32);
        int at = is64 ? 54 : 42;
        ushort phEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(file[at..]);
        ushort phCount = BinaryPrimitives.ReadUInt16LittleEndian(file[(at + 2)..]);
        ushort shEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(file[(at + 4)..]);
        ushort shCount = BinaryPrimitives.ReadUInt16LittleEndian(file[(at + 6)..]);

        List<ElfProgramHeader> headers = ReadProgramHeaders(name, file, is64, phOffset, phEntrySize, phCount);
        CheckLoadSegments(name, file.Length, headers);

        var notes = new List<ElfNote>();
        foreach (ElfProgramHeader note in headers.Where(p => p.Type == ElfSegmentType.Note))
        {
            ElfNoteReader.Read(file.Slice((int)note.Offset, (int)note.FileSize), note.Alignment == 8 ? 8 : 4, notes, name,
                $"PT_NOTE segment at file offset 0x{note.Offset:x}");
        }

        if (!headers.Any(p => p.Type == ElfSegmentType.Note) && shCount > 0)
        {
            ReadSectionNotes(name, file, is64, shOffset, shEntrySize, shCount, notes);
        }

        return new ElfImage(name, elfClass, type, machine, entry, headers, notes);
    }

    /// <summary>
    /// Copies every PT_LOAD segment to its p_paddr and zeroes its bss (p_filesz..p_memsz). All segments are checked
    /// against <paramref name="memory"/> before the first is written.
    /// </summary>
    /// <param name="memory">Guest memory.</param>
    /// <param name="file">The same bytes that were parsed.</param>
    /// <exception cref="BootImageException">A segment lies outside guest memory.</exception>
    public void LoadSegmentsInto(GuestMemory memory, ReadOnlySpan<byte> file)
    {
        ArgumentNullException.ThrowIfNull(memory);
        foreach (ElfProgramHeader segment in LoadSegments)
        {
            if (segment.MemorySize > int.MaxValue || !memory.Contains(new GuestAddress(segment.PhysicalAddress), segment.MemorySize))
            {
                throw new BootImageException(Name, BootImageError.LoadAddressOutsideMemory,
                    $"PT_LOAD segment at physical 0x{segment.PhysicalAddress:x} of {segment.MemorySize} bytes is outside guest memory ({ByteSize.Format(memory.TotalSize)})");
            }
        }

        foreach (ElfProgramHeader segment in LoadSegments)
        {
            var address = new GuestAddress(segment.PhysicalAddress);
            memory.Write(address, file.Slice((int)segment.Offset, (int)segment.FileSize));
            memory.GetSpan(address.Add(segment.FileSize), (int)(segment.MemorySize - segment.FileSize)).Clear();
        }
    }

    private static List<ElfProgramHeader> ReadProgramHeaders(string name, ReadOnlySpan<byte> file, bool is64, ulong offset, ushort entrySize, ushort count)
    {
        int minimum = is64 ? 56 : 32;
        if (count == 0)
        {
            throw new BootImageException(name, BootImageError.Malformed, "ELF file has no program headers");
        }

        if (entrySize < minimum)
        {
            throw new BootImageException(name, BootImageError.Malformed, $"program header size {entrySize} is smaller than {minimum}");
        }

        if (offset > (ulong)file.Length || (ulong)entrySize * count > (ulong)file.Length - offset)
        {
            throw new BootImageException(name, BootImageError.Truncated,
                $"{count} program headers at file offset 0x{offset:x} run past the end of the {file.Length}-byte file");
        }

        var headers = new List<ElfProgramHeader>(count);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> p = file.Slice((int)offset + (i * entrySize), entrySize);
            headers.Add(is64
                ? new ElfProgramHeader((ElfSegmentType)Read32(p, 0), Read32(p, 4), Read64(p, 8), Read64(p, 16), Read64(p, 24), Read64(p, 32), Read64(p, 40), Read64(p, 48))
                : new ElfProgramHeader((ElfSegmentType)Read32(p, 0), Read32(p, 24), Read32(p, 4), Read32(p, 8), Read32(p, 12), Read32(p, 16), Read32(p, 20), Read32(p, 28)));
        }

        return headers;
    }

    private static void CheckLoadSegments(string name, int fileLength, List<ElfProgramHeader> headers)
    {
        for (int i = 0; i < headers.Count; i++)
        {
            ElfProgramHeader p = headers[i];
            if (p.Type is not (ElfSegmentType.Load or ElfSegmentType.Note))
            {
                continue;
            }

            if (p.Offset > (ulong)fileLength || p.FileSize > (ulong)fileLength - p.Offset)
            {
                throw new BootImageException(name, BootImageError.Truncated,
                    $"segment {i} ({p.Type}) at file offset 0x{p.Offset:x} of {p.FileSize} bytes runs past the end of the {fileLength}-byte file");
            }

            if (p.Type == ElfSegmentType.Load && p.FileSize > p.MemorySize)
            {
                throw new BootImageException(name, BootImageError.Malformed,
                    $"segment {i} has p_filesz {p.FileSize} larger than p_memsz {p.MemorySize}");
            }

            if (p.Type == ElfSegmentType.Load && p.PhysicalAddress + p.MemorySize < p.PhysicalAddress)
            {
                throw new BootImageException(name, BootImageError.Malformed,
                    $"segment {i} at physical 0x{p.PhysicalAddress:x} of {p.MemorySize} bytes wraps past 2^64");
            }
        }

        List<(int Index, ElfProgramHeader Header)> loads = [.. headers.Select((h, i) => (i, h))
            .Where(x => x.h.Type == ElfSegmentType.Load && x.h.MemorySize > 0).OrderBy(x => x.h.PhysicalAddress)];
        if (loads.Count == 0)
        {
            throw new BootImageException(name, BootImageError.Malformed, "ELF file has no PT_LOAD segment to load");
        }

        for (int i = 1; i < loads.Count; i++)
        {
            if (loads[i].Header.PhysicalAddress < loads[i - 1].Header.PhysicalEnd)
            {
                throw new BootImageException(name, BootImageError.Malformed,
                    $"PT_LOAD segments {loads[i - 1].Index} and {loads[i].Index} overlap in physical memory at 0x{loads[i].Header.PhysicalAddress:x}");
            }
        }
    }

    private static void ReadSectionNotes(string name, ReadOnlySpan<byte> file, bool is64, ulong offset, ushort entrySize, ushort count, List<ElfNote> notes)
    {
        int minimum = is64 ? 64 : 40;
        if (entrySize < minimum || offset > (ulong)file.Length || (ulong)entrySize * count > (ulong)file.Length - offset)
        {
            throw new BootImageException(name, BootImageError.Truncated,
                $"{count} section headers at file offset 0x{offset:x} run past the end of the file or are too small");
        }

        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> s = file.Slice((int)offset + (i * entrySize), entrySize);
            if (Read32(s, 4) != SectionTypeNote)
            {
                continue;
            }

            ulong sectionOffset = is64 ? Read64(s, 24) : Read32(s, 16);
            ulong size = is64 ? Read64(s, 32) : Read32(s, 20);
            ulong align = is64 ? Read64(s, 48) : Read32(s, 32);
            if (sectionOffset > (ulong)file.Length || size > (ulong)file.Length - sectionOffset)
            {
                throw new BootImageException(name, BootImageError.Truncated,
                    $"SHT_NOTE section {i} at file offset 0x{sectionOffset:x} of {size} bytes runs past the end of the file");
            }

            ElfNoteReader.Read(file.Slice((int)sectionOffset, (int)size), align == 8 ? 8 : 4, notes, name, $"SHT_NOTE section {i}");
        }
    }

    private static uint Read32(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);

    private static ulong Read64(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]);
}
