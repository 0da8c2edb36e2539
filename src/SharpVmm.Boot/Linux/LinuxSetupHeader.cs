using System.Buffers.Binary;

namespace SharpVmm.Boot.Linux;

/// <summary>
/// The real-mode setup header of a bzImage (struct setup_header at file offset 0x1f1), per the Linux/x86 boot protocol
/// (Documentation/arch/x86/boot.rst). Only images this VMM can start are accepted: protocol 2.06 or later,
/// LOADED_HIGH, and (for the 64-bit entry) XLF_KERNEL_64.
/// </summary>
public sealed class LinuxSetupHeader
{
    /// <summary>File offset (and boot_params offset) of the setup header.</summary>
    public const int Offset = 0x1F1;

    /// <summary>The "HdrS" magic at 0x202, read little-endian.</summary>
    public const uint HeaderMagic = 0x5372_6448;

    /// <summary>The boot sector signature at 0x1fe.</summary>
    public const ushort BootFlagValue = 0xAA55;

    /// <summary>Oldest protocol accepted: 2.06 (cmdline_size, 32-bit boot entry).</summary>
    public const ushort MinimumVersion = 0x0206;

    /// <summary>Protocol that introduced xloadflags and with it the 64-bit entry point.</summary>
    public const ushort XLoadFlagsVersion = 0x020C;

    /// <summary>Offset of the 64-bit entry point from the protected-mode load address.</summary>
    public const ulong Entry64Offset = 0x200;

    private const int SectorSize = 512;

    // The header must reach at least init_size (0x260, 4 bytes) for protocol 2.10+; older ones end earlier.
    private const int MinimumFileLength = 0x202 + 4;

    private readonly byte[] _raw;

    private LinuxSetupHeader(byte[] raw) => _raw = raw;

    /// <summary>Setup sectors (512 bytes each) after the boot sector; a stored 0 reads as 4.</summary>
    public int SetupSectors { get; private init; }

    /// <summary>Boot protocol version, major in the high byte (0x020f is 2.15).</summary>
    public ushort Version { get; private init; }

    /// <summary>The loadflags byte.</summary>
    public LinuxLoadFlags LoadFlags { get; private init; }

    /// <summary>Protected-mode code size in 16-byte paragraphs.</summary>
    public uint SysSize { get; private init; }

    /// <summary>Alignment the kernel needs when relocated (2.05+).</summary>
    public uint KernelAlignment { get; private init; }

    /// <summary>True when the kernel can run at any suitably aligned address (2.05+).</summary>
    public bool RelocatableKernel { get; private init; }

    /// <summary>Longest command line accepted, in bytes, not counting the NUL (2.06+).</summary>
    public uint CommandLineSize { get; private init; }

    /// <summary>Highest address the initrd's last byte may occupy.</summary>
    public uint InitrdAddressMax { get; private init; }

    /// <summary>The xloadflags field (2.12+; none for older kernels).</summary>
    public LinuxXLoadFlags XLoadFlags { get; private init; }

    /// <summary>Offset of the compressed payload from the start of the protected-mode code (2.08+).</summary>
    public uint PayloadOffset { get; private init; }

    /// <summary>Length of the compressed payload (2.08+).</summary>
    public uint PayloadLength { get; private init; }

    /// <summary>Preferred load address for a non-relocatable kernel (2.10+).</summary>
    public ulong PreferredAddress { get; private init; }

    /// <summary>Bytes of linear memory the kernel needs from its runtime start until it is initialized (2.10+).</summary>
    public uint InitSize { get; private init; }

    /// <summary>File offset of the protected-mode code: the boot sector plus the setup sectors.</summary>
    public int ProtectedModeOffset => (SetupSectors + 1) * SectorSize;

    /// <summary>True when the kernel offers the 64-bit entry point (XLF_KERNEL_64).</summary>
    public bool Supports64BitEntry => (XLoadFlags & LinuxXLoadFlags.Kernel64) != 0;

    /// <summary>The header bytes exactly as in the file, from 0x1f1 to the end the jump at 0x200 gives.</summary>
    public ReadOnlySpan<byte> RawBytes => _raw;

    /// <summary>Protocol version as text, e.g. "2.15" or "2.06".</summary>
    public string VersionText => $"{Version >> 8}.{Version & 0xFF:D2}";

    /// <summary>Parses and checks the setup header of <paramref name="image"/> (named <paramref name="name"/> in errors).</summary>
    /// <exception cref="BootImageException">The image is truncated, lacks the boot flag or HdrS, uses a protocol older than 2.06,
    /// is not loaded high, or its setup is as large as the file.</exception>
    public static LinuxSetupHeader Parse(string name, ReadOnlySpan<byte> image)
    {
        if (image.Length < MinimumFileLength)
        {
            throw new BootImageException(name, BootImageError.Truncated,
                $"file is {image.Length} bytes, too short for a bzImage setup header (at least {MinimumFileLength} bytes)");
        }

        ushort bootFlag = BinaryPrimitives.ReadUInt16LittleEndian(image[0x1FE..]);
        if (bootFlag != BootFlagValue)
        {
            throw new BootImageException(name, BootImageError.BadMagic,
                $"no boot flag 0xaa55 at offset 0x1fe (found 0x{bootFlag:x4}): not a bzImage");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(image[0x202..]);
        if (magic != HeaderMagic)
        {
            throw new BootImageException(name, BootImageError.BadMagic,
                $"no \"HdrS\" magic at offset 0x202 (found 0x{magic:x8}): not a bzImage, or a pre-2.00 kernel");
        }

        int headerEnd = 0x202 + image[0x201];
        if (image.Length < headerEnd)
        {
            throw new BootImageException(name, BootImageError.Truncated,
                $"file is {image.Length} bytes but its setup header runs to offset 0x{headerEnd:x}");
        }

        ReadOnlySpan<byte> raw = image[Offset..headerEnd];
        ushort version = Field16(raw, 0x206);
        if (version < MinimumVersion)
        {
            throw new BootImageException(name, BootImageError.Unsupported,
                $"boot protocol {version >> 8}.{version & 0xFF:D2} is too old; at least 2.06 is needed");
        }

        var header = new LinuxSetupHeader(raw.ToArray())
        {
            SetupSectors = raw[0] == 0 ? 4 : raw[0],
            Version = version,
            SysSize = Field32(raw, 0x1F4),
            LoadFlags = (LinuxLoadFlags)Field8(raw, 0x211),
            KernelAlignment = Field32(raw, 0x230),
            RelocatableKernel = Field8(raw, 0x234) != 0,
            CommandLineSize = Field32(raw, 0x238),
            InitrdAddressMax = Field32(raw, 0x22C),
            XLoadFlags = version >= XLoadFlagsVersion ? (LinuxXLoadFlags)Field16(raw, 0x236) : LinuxXLoadFlags.None,
            PayloadOffset = version >= 0x0208 ? Field32(raw, 0x248) : 0,
            PayloadLength = version >= 0x0208 ? Field32(raw, 0x24C) : 0,
            PreferredAddress = version >= 0x020A ? Field64(raw, 0x258) : 0,
            InitSize = version >= 0x020A ? Field32(raw, 0x260) : 0,
        };

        if ((header.LoadFlags & LinuxLoadFlags.LoadedHigh) == 0)
        {
            throw new BootImageException(name, BootImageError.Unsupported,
                "loadflags lacks LOADED_HIGH: a zImage (low-loaded) kernel, which this loader does not start");
        }

        if (header.ProtectedModeOffset >= image.Length)
        {
            throw new BootImageException(name, BootImageError.Truncated,
                $"setup of {header.SetupSectors} sectors ({header.ProtectedModeOffset} bytes with the boot sector) is not smaller than the file ({image.Length} bytes): no protected-mode kernel");
        }

        ulong protectedModeSize = (ulong)(image.Length - header.ProtectedModeOffset);
        if ((ulong)header.PayloadOffset + header.PayloadLength > protectedModeSize)
        {
            throw new BootImageException(name, BootImageError.Malformed,
                $"payload at offset 0x{header.PayloadOffset:x} of {header.PayloadLength} bytes runs past the {protectedModeSize}-byte protected-mode kernel");
        }

        return header;
    }

    /// <summary>Throws unless the kernel has the 64-bit entry point (XLF_KERNEL_64).</summary>
    /// <exception cref="BootImageException">The kernel cannot be entered in 64-bit mode.</exception>
    public void Require64BitEntry(string name)
    {
        if (Supports64BitEntry)
        {
            return;
        }

        string why = Version < XLoadFlagsVersion
            ? $"boot protocol {VersionText} has no xloadflags (2.12 introduced the 64-bit entry)"
            : "xloadflags lacks XLF_KERNEL_64";
        throw new BootImageException(name, BootImageError.Unsupported, $"kernel is not 64-bit capable: {why}");
    }

    // Fields past the header's end (older protocols) read as zero; offsets are file offsets.
    private static byte Field8(ReadOnlySpan<byte> raw, int fileOffset) =>
        fileOffset - Offset < raw.Length ? raw[fileOffset - Offset] : (byte)0;

    private static ushort Field16(ReadOnlySpan<byte> raw, int fileOffset) =>
        fileOffset - Offset + 2 <= raw.Length ? BinaryPrimitives.ReadUInt16LittleEndian(raw[(fileOffset - Offset)..]) : (ushort)0;

    private static uint Field32(ReadOnlySpan<byte> raw, int fileOffset) =>
        fileOffset - Offset + 4 <= raw.Length ? BinaryPrimitives.ReadUInt32LittleEndian(raw[(fileOffset - Offset)..]) : 0;

    private static ulong Field64(ReadOnlySpan<byte> raw, int fileOffset) =>
        fileOffset - Offset + 8 <= raw.Length ? BinaryPrimitives.ReadUInt64LittleEndian(raw[(fileOffset - Offset)..]) : 0;
}
