using System.Buffers.Binary;

namespace SharpVmm.Boot.Multiboot;

/// <summary>
/// The Multiboot header of an OS image (Multiboot 0.6.96 section 3.1): magic, flags, checksum and, with the a.out
/// kludge, the address fields. Found with <see cref="Find"/>, which checks everything a boot loader must check.
/// </summary>
public sealed record MultibootHeader
{
    /// <summary>magic: identifies the header (section 3.1.2).</summary>
    public const uint Magic = 0x1BAD_B002;

    /// <summary>The header must lie completely within the first 8192 bytes of the image (section 3.1.1).</summary>
    public const int SearchLimit = 8192;

    /// <summary>The header is 32-bit aligned (section 3.1.1).</summary>
    public const int Alignment = 4;

    /// <summary>flags bit 0: boot modules must be page (4 KiB) aligned (section 3.1.2).</summary>
    public const uint FlagPageAlignModules = 1u << 0;

    /// <summary>flags bit 1: the mem_* fields of the information structure must be provided (section 3.1.2).</summary>
    public const uint FlagMemoryInfo = 1u << 1;

    /// <summary>flags bit 2: the video mode table must be provided (section 3.1.2). Accepted and ignored here.</summary>
    public const uint FlagVideoMode = 1u << 2;

    /// <summary>flags bit 16: the address fields at offsets 12-28 are valid, the "a.out kludge" (section 3.1.2).</summary>
    public const uint FlagAoutKludge = 1u << 16;

    /// <summary>Bits 0-15 are requirements; a loader that cannot honour one must refuse the image (section 3.1.2).</summary>
    public const uint RequiredFlagsMask = 0x0000_FFFF;

    /// <summary>The requirement bits this loader honours (modules are always page aligned, memory info always given).</summary>
    public const uint SupportedRequiredFlags = FlagPageAlignModules | FlagMemoryInfo | FlagVideoMode;

    /// <summary>Bytes of magic, flags and checksum (offsets 0-11, section 3.1.1).</summary>
    public const int MinimumSize = 12;

    /// <summary>Bytes up to and including entry_addr, present with <see cref="FlagAoutKludge"/> (offsets 12-31, section 3.1.3).</summary>
    public const int AoutKludgeSize = 32;

    /// <summary>Bytes up to and including depth, present with <see cref="FlagVideoMode"/> (offsets 32-47, section 3.1.4).</summary>
    public const int VideoModeSize = 48;

    /// <summary>Offset of the header in the image file.</summary>
    public int Offset { get; init; }

    /// <summary>flags (offset 4).</summary>
    public uint Flags { get; init; }

    /// <summary>checksum (offset 8): magic + flags + checksum = 0 mod 2^32.</summary>
    public uint Checksum { get; init; }

    /// <summary>header_addr (offset 12): the physical address the magic is loaded at. Valid with the a.out kludge.</summary>
    public uint HeaderAddress { get; init; }

    /// <summary>load_addr (offset 16): the physical address of the first byte loaded. Valid with the a.out kludge.</summary>
    public uint LoadAddress { get; init; }

    /// <summary>load_end_addr (offset 20): end of the loaded bytes; 0 loads the rest of the file. Valid with the a.out kludge.</summary>
    public uint LoadEndAddress { get; init; }

    /// <summary>bss_end_addr (offset 24): end of the zeroed bss; 0 means no bss. Valid with the a.out kludge.</summary>
    public uint BssEndAddress { get; init; }

    /// <summary>entry_addr (offset 28): the physical entry point. Valid with the a.out kludge.</summary>
    public uint EntryAddress { get; init; }

    /// <summary>Whether modules must be page aligned (flags bit 0).</summary>
    public bool PageAlignModules => (Flags & FlagPageAlignModules) != 0;

    /// <summary>Whether the kernel requires mem_lower/mem_upper (flags bit 1).</summary>
    public bool RequiresMemoryInfo => (Flags & FlagMemoryInfo) != 0;

    /// <summary>Whether the kernel asks for a video mode (flags bit 2); SharpVmm has no display and gives none.</summary>
    public bool RequestsVideoMode => (Flags & FlagVideoMode) != 0;

    /// <summary>Whether the address fields are valid and say where to load the image (flags bit 16).</summary>
    public bool HasAoutKludge => (Flags & FlagAoutKludge) != 0;

    /// <summary>
    /// Whether <paramref name="image"/> has a Multiboot header with a valid checksum, 32-bit aligned in its first 8 KiB.
    /// Cheap; meant for format detection. Flags are not checked (<see cref="Find"/> does).
    /// </summary>
    public static bool IsPresent(ReadOnlySpan<byte> image) => FindCandidates(image).Valid is not null;

    /// <summary>Finds and checks the Multiboot header of <paramref name="image"/> (named <paramref name="name"/> in errors).</summary>
    /// <exception cref="BootImageException">
    /// No header in the first 8 KiB (<see cref="BootImageError.BadMagic"/>, saying so when a magic lies further on), a bad
    /// checksum (<see cref="BootImageError.BadMagic"/>), the header cut short (<see cref="BootImageError.Truncated"/>), or a
    /// required flag (bits 0-15) this loader cannot honour (<see cref="BootImageError.Unsupported"/>).
    /// </exception>
    public static MultibootHeader Find(ReadOnlySpan<byte> image, string name)
    {
        (int? valid, int? badChecksum, int? beyond) = FindCandidates(image);
        if (valid is not { } at)
        {
            if (badChecksum is { } bad)
            {
                uint flags = Read32(image, bad + 4), checksum = Read32(image, bad + 8);
                throw new BootImageException(name, BootImageError.BadMagic,
                    $"Multiboot header at file offset 0x{bad:x} has a bad checksum: magic 0x{Magic:x8} + flags 0x{flags:x8} + checksum 0x{checksum:x8} = 0x{unchecked(Magic + flags + checksum):x8}, not 0");
            }

            if (beyond is { } late)
            {
                throw new BootImageException(name, BootImageError.BadMagic,
                    $"Multiboot header beyond the first 8 KiB: magic 0x{Magic:x8} at file offset 0x{late:x}, but the header must lie within the first {SearchLimit} bytes");
            }

            throw new BootImageException(name, BootImageError.BadMagic,
                $"no Multiboot header (magic 0x{Magic:x8}, 32-bit aligned) in the first {SearchLimit} bytes: not a Multiboot kernel");
        }

        var header = new MultibootHeader { Offset = at, Flags = Read32(image, at + 4), Checksum = Read32(image, at + 8) };
        uint unsupported = header.Flags & RequiredFlagsMask & ~SupportedRequiredFlags;
        if (unsupported != 0)
        {
            throw new BootImageException(name, BootImageError.Unsupported,
                $"Multiboot header flags 0x{header.Flags:x8} require features SharpVmm does not offer (bits 0x{unsupported:x}; requirement bits 0-15 it honours: 0x{SupportedRequiredFlags:x})");
        }

        int size = header.HasAoutKludge ? AoutKludgeSize : MinimumSize;
        if (at + size > Math.Min(image.Length, SearchLimit))
        {
            throw new BootImageException(name, image.Length < at + size ? BootImageError.Truncated : BootImageError.Malformed,
                $"Multiboot header at file offset 0x{at:x} with flags 0x{header.Flags:x8} takes {size} bytes, which run past the end of the file or the first {SearchLimit} bytes");
        }

        return header.HasAoutKludge
            ? header with
            {
                HeaderAddress = Read32(image, at + 12),
                LoadAddress = Read32(image, at + 16),
                LoadEndAddress = Read32(image, at + 20),
                BssEndAddress = Read32(image, at + 24),
                EntryAddress = Read32(image, at + 28),
            }
            : header;
    }

    private static (int? Valid, int? BadChecksum, int? Beyond) FindCandidates(ReadOnlySpan<byte> image)
    {
        int limit = Math.Min(image.Length, SearchLimit);
        int? badChecksum = null;
        int offset = 0;
        for (; offset + MinimumSize <= limit; offset += Alignment)
        {
            if (Read32(image, offset) != Magic)
            {
                continue;
            }

            if (unchecked(Magic + Read32(image, offset + 4) + Read32(image, offset + 8)) == 0)
            {
                return (offset, null, null);
            }

            badChecksum ??= offset;
        }

        for (; offset + 4 <= image.Length; offset += Alignment)
        {
            if (Read32(image, offset) == Magic)
            {
                return (null, badChecksum, offset);
            }
        }

        return (null, badChecksum, null);
    }

    private static uint Read32(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
}
