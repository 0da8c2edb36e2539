using System.Buffers.Binary;

namespace SharpVmm.Tests.Support;

/// <summary>Builds a small synthetic ELF32/ELF64 executable with PT_LOAD segments and a Xen PVH entry note.</summary>
internal sealed class ElfBuilder
{
    public const int DataOffset = 0x1000;

    public bool Is64 { get; set; } = true;
    public ushort Machine { get; set; } = 62;
    public uint PvhEntry { get; set; } = 0x10_0040;
    public int PvhDescriptorSize { get; set; } = 4;
    public bool IncludePvhNote { get; set; } = true;
    public bool NotesInSectionOnly { get; set; }
    public List<(ulong PhysicalAddress, int FileSize, ulong MemorySize)> Segments { get; } = [(0x10_0000, 0x200, 0x1000)];

    public byte[] Build()
    {
        int ehSize = Is64 ? 64 : 52, phSize = Is64 ? 56 : 32, shSize = Is64 ? 64 : 40;
        byte[] notes = BuildNotes();
        int phCount = Segments.Count + (NotesInSectionOnly ? 0 : 1);
        int notesOffset = ehSize + (phCount * phSize);
        int shOffset = notesOffset + notes.Length;
        int dataSize = Segments.Sum(s => s.FileSize);
        byte[] file = new byte[DataOffset + dataSize];
        Span<byte> f = file;

        "\u007fELF"u8.CopyTo(f);
        f[4] = Is64 ? (byte)2 : (byte)1;
        f[5] = 1;
        f[6] = 1;
        W16(f, 16, 2);
        W16(f, 18, Machine);
        W32(f, 20, 1);
        if (Is64)
        {
            W64(f, 24, 0xFFFF_FFFF_8100_0000);
            W64(f, 32, (ulong)ehSize);
            W64(f, 40, NotesInSectionOnly ? (ulong)shOffset : 0);
            W16(f, 52, (ushort)ehSize);
            W16(f, 54, (ushort)phSize);
            W16(f, 56, (ushort)phCount);
            W16(f, 58, (ushort)shSize);
            W16(f, 60, NotesInSectionOnly ? (ushort)2 : (ushort)0);
        }
        else
        {
            W32(f, 24, 0xC100_0000);
            W32(f, 28, (uint)ehSize);
            W32(f, 32, NotesInSectionOnly ? (uint)shOffset : 0);
            W16(f, 40, (ushort)ehSize);
            W16(f, 42, (ushort)phSize);
            W16(f, 44, (ushort)phCount);
            W16(f, 46, (ushort)shSize);
            W16(f, 48, NotesInSectionOnly ? (ushort)2 : (ushort)0);
        }

        int ph = ehSize;
        int dataAt = DataOffset;
        for (int i = 0; i < Segments.Count; i++, ph += phSize)
        {
            (ulong paddr, int fileSize, ulong memSize) = Segments[i];
            WriteProgramHeader(f[ph..], 1, (ulong)dataAt, paddr, (ulong)fileSize, memSize, 0x1000);
            for (int b = 0; b < fileSize; b++)
            {
                file[dataAt + b] = (byte)(0x40 + i + b);
            }

            dataAt += fileSize;
        }

        if (!NotesInSectionOnly)
        {
            WriteProgramHeader(f[ph..], 4, (ulong)notesOffset, 0, (ulong)notes.Length, (ulong)notes.Length, 4);
        }

        notes.CopyTo(f[notesOffset..]);
        if (NotesInSectionOnly)
        {
            // Section 0 is SHT_NULL; section 1 is SHT_NOTE.
            Span<byte> sh = f[(shOffset + shSize)..];
            W32(sh, 4, 7);
            if (Is64)
            {
                W64(sh, 24, (ulong)notesOffset);
                W64(sh, 32, (ulong)notes.Length);
                W64(sh, 48, 4);
            }
            else
            {
                W32(sh, 16, (uint)notesOffset);
                W32(sh, 20, (uint)notes.Length);
                W32(sh, 32, 4);
            }
        }

        return file;
    }

    private void WriteProgramHeader(Span<byte> p, uint type, ulong offset, ulong paddr, ulong fileSize, ulong memSize, ulong align)
    {
        W32(p, 0, type);
        if (Is64)
        {
            W32(p, 4, 5);
            W64(p, 8, offset);
            W64(p, 16, paddr | 0xFFFF_FFFF_8000_0000);
            W64(p, 24, paddr);
            W64(p, 32, fileSize);
            W64(p, 40, memSize);
            W64(p, 48, align);
        }
        else
        {
            W32(p, 4, (uint)offset);
            W32(p, 8, (uint)paddr | 0xC000_0000);
            W32(p, 12, (uint)paddr);
            W32(p, 16, (uint)fileSize);
            W32(p, 20, (uint)memSize);
            W32(p, 24, 5);
            W32(p, 28, (uint)align);
        }
    }

    private byte[] BuildNotes()
    {
        var notes = new List<byte>();
        // A GNU build-id note first, so the loader must look past it.
        AddNote(notes, "GNU", 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        if (IncludePvhNote)
        {
            byte[] desc = new byte[PvhDescriptorSize];
            BinaryPrimitives.WriteUInt32LittleEndian(desc, PvhEntry);
            AddNote(notes, "Xen", 18, desc);
        }

        return [.. notes];
    }

    private static void AddNote(List<byte> notes, string name, uint type, byte[] desc)
    {
        byte[] header = new byte[12];
        W32(header, 0, (uint)name.Length + 1);
        W32(header, 4, (uint)desc.Length);
        W32(header, 8, type);
        notes.AddRange(header);
        notes.AddRange(System.Text.Encoding.ASCII.GetBytes(name + "\0"));
        Pad(notes);
        notes.AddRange(desc);
        Pad(notes);
    }

    private static void Pad(List<byte> bytes)
    {
        while (bytes.Count % 4 != 0)
        {
            bytes.Add(0);
        }
    }

    private static void W16(Span<byte> s, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(s[at..], v);

    private static void W32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);

    private static void W64(Span<byte> s, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(s[at..], v);
}
