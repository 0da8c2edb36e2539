using System.Buffers.Binary;
using System.Text;

namespace SharpVmm.Boot.Elf;

/// <summary>Splits a PT_NOTE segment or SHT_NOTE section into notes (n_namesz, n_descsz, n_type, name, descriptor).</summary>
internal static class ElfNoteReader
{
    private const int HeaderSize = 12;

    /// <summary>Appends the notes in <paramref name="data"/> to <paramref name="notes"/>.</summary>
    /// <param name="data">The segment's or section's bytes.</param>
    /// <param name="alignment">8 for notes in an 8-aligned segment (e.g. .note.gnu.property), else 4.</param>
    /// <param name="notes">Receives the notes.</param>
    /// <param name="name">Names the file in errors.</param>
    /// <param name="where">Names the segment or section in errors.</param>
    /// <exception cref="BootImageException">A note runs past the end of its segment.</exception>
    public static void Read(ReadOnlySpan<byte> data, int alignment, List<ElfNote> notes, string name, string where)
    {
        int position = 0;
        while (data.Length - position >= HeaderSize)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(data[position..]);
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 8)..]);
            long nameStart = position + HeaderSize;
            long descStart = nameStart + Align(nameSize, alignment);
            long next = descStart + Align(descSize, alignment);
            if (descStart + descSize > data.Length)
            {
                throw new BootImageException(name, BootImageError.Malformed,
                    $"note at offset {position} of {where} (name {nameSize} bytes, descriptor {descSize} bytes) runs past its end");
            }

            ReadOnlySpan<byte> rawName = data.Slice((int)nameStart, (int)nameSize);
            int nul = rawName.IndexOf((byte)0);
            string owner = Encoding.ASCII.GetString(nul >= 0 ? rawName[..nul] : rawName);
            notes.Add(new ElfNote(owner, type, data.Slice((int)descStart, (int)descSize).ToArray()));
            position = (int)Math.Min(next, data.Length);
        }
    }

    private static long Align(uint value, int alignment) => ((long)value + alignment - 1) / alignment * alignment;
}
