using System.Buffers.Binary;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Builds small Multiboot kernels: a flat image with the a.out-kludge address fields, or an ELF32/ELF64 executable with
/// the Multiboot header at the start of its first segment's bytes (in the first 8 KiB).
/// </summary>
internal sealed class MultibootImageBuilder
{
    public const uint Magic = 0x1BAD_B002;
    public const int ElfDataOffset = 0x1000;

    /// <summary>Where the header goes in the file.</summary>
    public int HeaderOffset { get; set; } = 0x40;

    /// <summary>flags; the default asks for page-aligned modules, memory info and (for flat images) the a.out kludge.</summary>
    public uint Flags { get; set; } = 0x0001_0003;

    /// <summary>checksum; null writes the correct one.</summary>
    public uint? Checksum { get; set; }

    /// <summary>Bytes of a flat image.</summary>
    public int FileSize { get; set; } = 0x2000;

    public uint LoadAddress { get; set; } = 0x10_0000;
    public uint? HeaderAddress { get; set; }
    public uint? LoadEndAddress { get; set; }
    public uint? BssEndAddress { get; set; }
    public uint? EntryAddress { get; set; }

    /// <summary>ELF program headers: physical address, virtual address, bytes in the file, bytes in memory.</summary>
    public List<(ulong PhysicalAddress, ulong VirtualAddress, int FileSize, ulong MemorySize)> ElfSegments { get; } = [];

    /// <summary>e_entry of an ELF image.</summary>
    public ulong ElfEntry { get; set; } = 0xC010_0100;

    /// <summary>Byte <paramref name="offset"/> of an image before the header is written over it: never zero.</summary>
    public static byte Pattern(int offset) => (byte)((offset * 7) + 1) is var b && b != 0 ? b : (byte)1;

    /// <summary>A flat a.out-kludge image: load_addr 1 MiB, the whole file loaded, 4 KiB of bss, entry 0x100 in.</summary>
    public byte[] BuildFlat()
    {
        byte[] file = new byte[FileSize];
        for (int i = 0; i < file.Length; i++)
        {
            file[i] = Pattern(i);
        }

        uint loadEnd = LoadEndAddress ?? LoadAddress + (uint)FileSize;
        WriteHeader(file, HeaderAddress ?? LoadAddress + (uint)HeaderOffset, LoadAddress, loadEnd,
            BssEndAddress ?? loadEnd + 0x1000, EntryAddress ?? LoadAddress + 0x100);
        return file;
    }

    /// <summary>An ELF image; with no segments given, one at physical 1 MiB (virtual 0xC0100000), 0x800 bytes in the file, 0x3000 in memory.</summary>
    public byte[] BuildElf(bool is64 = false)
    {
        if (ElfSegments.Count == 0)
        {
            ElfSegments.Add((0x10_0000, 0xC010_0000, 0x800, 0x3000));
        }

        int ehSize = is64 ? 64 : 52, phSize = is64 ? 56 : 32;
        byte[] file = new byte[ElfDataOffset + ElfSegments.Sum(s => s.FileSize)];
        for (int i = ElfDataOffset; i < file.Length; i++)
        {
            file[i] = Pattern(i);
        }

        Span<byte> f = file;
        "\u007fELF"u8.CopyTo(f);
        f[4] = is64 ? (byte)2 : (byte)1;
        f[5] = 1;
        f[6] = 1;
        W16(f, 16, 2);
        W16(f, 18, is64 ? (ushort)62 : (ushort)3);
        W32(f, 20, 1);
        if (is64)
        {
            W64(f, 24, ElfEntry);
            W64(f, 32, (ulong)ehSize);
            W16(f, 52, (ushort)ehSize);
            W16(f, 54, (ushort)phSize);
            W16(f, 56, (ushort)ElfSegments.Count);
        }
        else
        {
            W32(f, 24, (uint)ElfEntry);
            W32(f, 28, (uint)ehSize);
            W16(f, 40, (ushort)ehSize);
            W16(f, 42, (ushort)phSize);
            W16(f, 44, (ushort)ElfSegments.Count);
        }

        int dataAt = ElfDataOffset;
        for (int i = 0; i < ElfSegments.Count; i++)
        {
            (ulong paddr, ulong vaddr, int fileSize, ulong memSize) = ElfSegments[i];
            Span<byte> p = f[(ehSize + (i * phSize))..];
            W32(p, 0, 1);
            if (is64)
            {
                W32(p, 4, 7);
                W64(p, 8, (ulong)dataAt);
                W64(p, 16, vaddr);
                W64(p, 24, paddr);
                W64(p, 32, (ulong)fileSize);
                W64(p, 40, memSize);
                W64(p, 48, 0x1000);
            }
            else
            {
                W32(p, 4, (uint)dataAt);
                W32(p, 8, (uint)vaddr);
                W32(p, 12, (uint)paddr);
                W32(p, 16, (uint)fileSize);
                W32(p, 20, (uint)memSize);
                W32(p, 24, 7);
                W32(p, 28, 0x1000);
            }

            dataAt += fileSize;
        }

        WriteHeader(file, HeaderAddress ?? 0, LoadAddress, LoadEndAddress ?? 0, BssEndAddress ?? 0, EntryAddress ?? 0);
        return file;
    }

    /// <summary>A builder for an ELF image: header at the first segment's bytes, flags without the a.out kludge.</summary>
    public static MultibootImageBuilder ForElf() => new() { HeaderOffset = ElfDataOffset, Flags = 0x0000_0003 };

    private void WriteHeader(byte[] file, uint headerAddress, uint loadAddress, uint loadEnd, uint bssEnd, uint entry)
    {
        Span<byte> h = file.AsSpan(HeaderOffset);
        W32(h, 0, Magic);
        W32(h, 4, Flags);
        W32(h, 8, Checksum ?? unchecked(0u - Magic - Flags));
        if (h.Length >= 32)
        {
            W32(h, 12, headerAddress);
            W32(h, 16, loadAddress);
            W32(h, 20, loadEnd);
            W32(h, 24, bssEnd);
            W32(h, 28, entry);
        }
    }

    private static void W16(Span<byte> s, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(s[at..], v);

    private static void W32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);

    private static void W64(Span<byte> s, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(s[at..], v);
}
