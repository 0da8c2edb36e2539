using System.Buffers.Binary;
using System.Text;
using SharpVmm.Boot.Elf;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Pvh;

/// <summary>
/// Loads an uncompressed ELF kernel (vmlinux) for the Xen PVH boot ABI: PT_LOAD segments at their physical addresses,
/// command line, initrd as module 0, memory map and hvm_start_info. Everything is checked before the first byte is written.
/// </summary>
public static class PvhLoader
{
    /// <summary>Owner name of Xen ELF notes.</summary>
    public const string XenNoteName = "Xen";

    /// <summary>XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit physical PVH entry point.</summary>
    public const uint Phys32EntryNoteType = 18;

    // Entry is in 32-bit protected mode without paging: everything the kernel reads from us must be below 4 GiB.
    private const ulong FourGiB = 1UL << 32;
    private const ulong PageSize = 4096;

    /// <summary>Returns the PVH entry point from the image's XEN_ELFNOTE_PHYS32_ENTRY note.</summary>
    /// <exception cref="BootImageException">There is no such note, or its descriptor is not a 32-bit address.</exception>
    public static GuestAddress FindEntryPoint(ElfImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ElfNote note = image.Notes.FirstOrDefault(n => n.Name == XenNoteName && n.Type == Phys32EntryNoteType)
            ?? throw new BootImageException(image.Name, BootImageError.NoPvhEntryPoint,
                "ELF file has no Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): the kernel was built without CONFIG_PVH");

        // Linux emits the address with _ASM_PTR, so a 64-bit kernel's descriptor is 8 bytes.
        ReadOnlySpan<byte> desc = note.Descriptor.Span;
        ulong entry = desc.Length switch
        {
            4 => BinaryPrimitives.ReadUInt32LittleEndian(desc),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(desc),
            _ => throw new BootImageException(image.Name, BootImageError.Malformed,
                $"Xen PVH entry note has a {desc.Length}-byte descriptor; 4 or 8 expected"),
        };
        if (entry >= FourGiB)
        {
            throw new BootImageException(image.Name, BootImageError.Malformed, $"PVH entry point 0x{entry:x} is not a 32-bit address");
        }

        return new GuestAddress(entry);
    }

    /// <summary>Loads with the PC memory map of <see cref="E820Map.ForGuestMemory"/>.</summary>
    /// <inheritdoc cref="Load(GuestMemory, ReadOnlySpan{byte}, ReadOnlySpan{byte}, string, PvhBootLayout, IReadOnlyList{E820Entry}, string, string)"/>
    public static PvhBootInfo Load(GuestMemory memory, ReadOnlySpan<byte> elf, ReadOnlySpan<byte> initrd, string cmdline, PvhBootLayout layout)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return Load(memory, elf, initrd, cmdline, layout, E820Map.ForGuestMemory(memory));
    }

    /// <summary>Loads <paramref name="elf"/> and <paramref name="initrd"/> and writes hvm_start_info.</summary>
    /// <param name="memory">Guest memory to write into.</param>
    /// <param name="elf">The whole ELF file.</param>
    /// <param name="initrd">The initial ramdisk; empty for none.</param>
    /// <param name="cmdline">The kernel command line (without NUL).</param>
    /// <param name="layout">Where the boot structures go.</param>
    /// <param name="e820">The memory map handed to the kernel; the initrd goes only in its RAM entries, below 4 GiB.</param>
    /// <param name="kernelName">Names the kernel in errors (usually its path).</param>
    /// <param name="initrdName">Names the initrd in errors.</param>
    /// <returns>The 32-bit entry point, the start_info address and what went where.</returns>
    /// <exception cref="BootImageException">The ELF is malformed, has no PVH note, or something does not fit.</exception>
    /// <exception cref="ArgumentException">The memory map has more entries than the layout holds, or an empty entry.</exception>
    public static PvhBootInfo Load(GuestMemory memory, ReadOnlySpan<byte> elf, ReadOnlySpan<byte> initrd, string cmdline,
        PvhBootLayout layout, IReadOnlyList<E820Entry> e820, string kernelName = "vmlinux", string initrdName = "initrd")
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(cmdline);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(e820);
        E820Map.Validate(e820, layout.MaxMemoryMapEntries);

        ElfImage image = ElfImage.Parse(kernelName, elf);
        GuestAddress entry = FindEntryPoint(image);
        RequireInMemory(memory, layout.StartInfo, HvmStartInfo.Size, kernelName, "hvm_start_info");
        RequireInMemory(memory, layout.ModuleList, HvmModuleListEntry.EncodedSize, kernelName, "module list");
        RequireInMemory(memory, layout.MemoryMap, (ulong)e820.Count * HvmMemoryMap.EntrySize, kernelName, "memory map");

        ulong kernelEnd = image.PhysicalEnd;
        GuestAddress? initrdAddress = null;
        if (!initrd.IsEmpty)
        {
            ulong lowest = (kernelEnd + PageSize - 1) & ~(PageSize - 1);
            initrdAddress = InitrdPlacement.FindHighest(memory, e820, (ulong)initrd.Length, lowest, FourGiB)
                ?? throw new BootImageException(initrdName, BootImageError.InitrdDoesNotFit,
                    $"initrd of {initrd.Length} bytes does not fit in guest RAM between the kernel's end (0x{lowest:x}) and min(4 GiB, end of RAM)");
        }

        var ranges = new List<(string What, ulong Start, ulong Length)>
        {
            ("hvm_start_info", layout.StartInfo.Value, HvmStartInfo.Size),
            ("the module list", layout.ModuleList.Value, initrd.IsEmpty ? 0UL : HvmModuleListEntry.EncodedSize),
            ("the memory map", layout.MemoryMap.Value, (ulong)e820.Count * HvmMemoryMap.EntrySize),
            ("the command line", layout.CommandLine.Value, (ulong)Encoding.UTF8.GetByteCount(cmdline) + 1),
        };
        ranges.AddRange(image.LoadSegments.Select(p => ($"PT_LOAD segment at 0x{p.PhysicalAddress:x}", p.PhysicalAddress, p.MemorySize)));
        PlacementCheck.RequireDisjoint(kernelName, [.. ranges]);

        int cmdlineSize = CommandLineWriter.Write(memory, layout.CommandLine, cmdline, (ulong)layout.MaxCommandLineLength, kernelName);
        image.LoadSegmentsInto(memory, elf);

        if (initrdAddress is { } at)
        {
            memory.Write(at, initrd);
            Span<byte> module = stackalloc byte[HvmModuleListEntry.EncodedSize];
            new HvmModuleListEntry(at.Value, (ulong)initrd.Length, 0).Encode(module);
            memory.Write(layout.ModuleList, module);
        }

        memory.Write(layout.MemoryMap, HvmMemoryMap.Encode(e820));
        new HvmStartInfo
        {
            ModuleCount = initrdAddress is null ? 0u : 1u,
            ModuleListAddress = initrdAddress is null ? 0 : layout.ModuleList.Value,
            CommandLineAddress = layout.CommandLine.Value,
            RsdpAddress = layout.AcpiRsdp?.Value ?? 0,
            MemoryMapAddress = layout.MemoryMap.Value,
            MemoryMapEntries = (uint)e820.Count,
        }.WriteTo(memory, layout.StartInfo);

        return new PvhBootInfo(entry, layout.StartInfo, new GuestAddress(image.PhysicalStart), new GuestAddress(kernelEnd),
            layout.CommandLine, cmdlineSize, initrdAddress, initrdAddress is null ? 0 : (ulong)initrd.Length, e820, image);
    }

    private static void RequireInMemory(GuestMemory memory, GuestAddress address, ulong length, string name, string what)
    {
        if (!memory.Contains(address, Math.Max(length, 1)))
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory, $"{what} at {address} is outside guest memory");
        }
    }
}
