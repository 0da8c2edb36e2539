using System.Text;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Multiboot;

/// <summary>
/// Loads a Multiboot (version 0.6.96) kernel: the image where its a.out-kludge address fields or ELF program headers
/// say, each module page aligned above the kernel, and the Multiboot information structure with the memory bounds,
/// command line, module list, memory map and boot loader name (section 3.3). Everything is checked before the first
/// byte is written. Start the kernel as <see cref="MultibootBootInfo"/> describes.
/// </summary>
public static class MultibootLoader
{
    /// <summary>EAX at the kernel's entry: tells it a Multiboot-compliant boot loader started it (section 3.2).</summary>
    public const uint BootloaderMagic = 0x2BAD_B002;

    /// <summary>The string boot_loader_name points at (section 3.3, flags bit 9).</summary>
    public const string BootLoaderName = "SharpVmm";

    // Entered in 32-bit protected mode without paging, and every address field is 32 bits: all of it stays below 4 GiB.
    private const ulong FourGiB = 1UL << 32;
    private const ulong PageSize = 4096;

    // mem_lower counts RAM from 0 up to at most 640 KiB; mem_upper counts RAM from 1 MiB (section 3.3).
    private const ulong LowerMemoryLimit = 0xA_0000;
    private const ulong UpperMemoryStart = 0x10_0000;

    /// <summary>Loads with the PC memory map of <see cref="E820Map.ForGuestMemory"/> and <see cref="MultibootLayout.Default"/>.</summary>
    /// <inheritdoc cref="Load(GuestMemory, ReadOnlySpan{byte}, IReadOnlyList{MultibootModule}, string, IReadOnlyList{E820Entry}, MultibootLayout, string)"/>
    public static MultibootBootInfo Load(GuestMemory memory, ReadOnlySpan<byte> image, IReadOnlyList<MultibootModule> modules, string cmdline)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return Load(memory, image, modules, cmdline, E820Map.ForGuestMemory(memory), MultibootLayout.Default);
    }

    /// <summary>Loads <paramref name="image"/> and <paramref name="modules"/> and writes the Multiboot information.</summary>
    /// <param name="memory">Guest memory to write into.</param>
    /// <param name="image">The whole kernel file.</param>
    /// <param name="modules">The boot modules, in the order the kernel sees them; may be empty.</param>
    /// <param name="cmdline">The kernel command line (without NUL).</param>
    /// <param name="e820">The memory map handed to the kernel; the kernel and modules go only in its RAM, below 4 GiB.</param>
    /// <param name="layout">Where the information structure and what it points at go.</param>
    /// <param name="name">Names the kernel in errors (usually its path).</param>
    /// <returns>The entry point, the information structure's address (for EBX) and what went where.</returns>
    /// <exception cref="BootImageException">
    /// The image has no valid Multiboot header, needs a feature SharpVmm lacks, is inconsistent, loads outside guest RAM
    /// or over the boot structures, a module does not fit, or the strings do not fit the layout.
    /// </exception>
    /// <exception cref="ArgumentException">The memory map or module list has more entries than the layout holds, or an empty map entry.</exception>
    public static MultibootBootInfo Load(GuestMemory memory, ReadOnlySpan<byte> image, IReadOnlyList<MultibootModule> modules,
        string cmdline, IReadOnlyList<E820Entry> e820, MultibootLayout layout, string name = "kernel")
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(modules);
        ArgumentNullException.ThrowIfNull(cmdline);
        ArgumentNullException.ThrowIfNull(e820);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(name);
        E820Map.Validate(e820, layout.MaxMemoryMapEntries);
        if (modules.Count > layout.MaxModules)
        {
            throw new ArgumentException($"{modules.Count} modules given; the layout has room for {layout.MaxModules}", nameof(modules));
        }

        MultibootHeader header = MultibootHeader.Find(image, name);
        MultibootKernelImage kernel = MultibootKernelImage.Resolve(header, image, name);
        foreach (MultibootSegment segment in kernel.Segments)
        {
            RequireLoadable(memory, e820, segment, name);
        }

        // The string area: command line, boot loader name, then one string per module.
        var strings = new List<byte>();
        uint cmdlineAddress = AddString(strings, layout, cmdline, name, "kernel command line");
        uint loaderNameAddress = AddString(strings, layout, BootLoaderName, name, "boot loader name");
        uint[] moduleStringAddresses = [.. modules.Select(m => AddString(strings, layout, m.String, m.Name, "module string"))];
        if (strings.Count > layout.StringsSize)
        {
            throw new BootImageException(name, BootImageError.CommandLineTooLong,
                $"the command line, boot loader name and module strings take {strings.Count} bytes; the layout has room for {layout.StringsSize}");
        }

        int moduleListSize = modules.Count * MultibootModuleEntry.EncodedSize;
        byte[] memoryMap = MultibootMemoryMap.Encode(e820);
        RequireInLowMemory(memory, layout.Info, MultibootInfo.Size, name, "the Multiboot information structure");
        RequireInLowMemory(memory, layout.ModuleList, (ulong)moduleListSize, name, "the module list");
        RequireInLowMemory(memory, layout.MemoryMap, (ulong)memoryMap.Length, name, "the memory map");
        RequireInLowMemory(memory, layout.Strings, (ulong)strings.Count, name, "the string area");

        var ranges = new List<(string What, ulong Start, ulong Length)>
        {
            ("the Multiboot information structure", layout.Info.Value, MultibootInfo.Size),
            ("the module list", layout.ModuleList.Value, (ulong)moduleListSize),
            ("the memory map", layout.MemoryMap.Value, (ulong)memoryMap.Length),
            ("the command line and strings", layout.Strings.Value, (ulong)strings.Count),
        };
        ranges.AddRange(kernel.Segments.Select(s => ("the kernel", s.Address, s.MemorySize)));
        PlacementCheck.RequireDisjoint(name, [.. ranges]);

        var busy = ranges.Where(r => r.Length > 0).Select(r => (r.Start, r.Start + r.Length)).ToList();
        var entries = new MultibootModuleEntry[modules.Count];
        ulong lowest = AlignUp(kernel.End);
        for (int i = 0; i < modules.Count; i++)
        {
            ulong size = (ulong)modules[i].Contents.Length;
            ulong start = MultibootModulePlacement.FindLowest(memory, e820, size, lowest, FourGiB, busy)
                ?? throw new BootImageException(modules[i].Name, BootImageError.InitrdDoesNotFit,
                    $"module {i} of {size} bytes does not fit in guest RAM between the kernel's end (0x{lowest:x}) and min(4 GiB, end of RAM) after the modules before it");
            entries[i] = new MultibootModuleEntry((uint)start, (uint)(start + size), moduleStringAddresses[i]);
            busy.Add((start, start + Math.Max(size, 1)));
            lowest = AlignUp(start + size);
        }

        kernel.LoadInto(memory, image);
        byte[] moduleList = new byte[moduleListSize];
        for (int i = 0; i < modules.Count; i++)
        {
            memory.Write(new GuestAddress(entries[i].Start), modules[i].Contents.Span);
            entries[i].Encode(moduleList.AsSpan(i * MultibootModuleEntry.EncodedSize));
        }

        memory.Write(layout.ModuleList, moduleList);
        memory.Write(layout.MemoryMap, memoryMap);
        memory.Write(layout.Strings, [.. strings]);

        uint memLower = (uint)(Math.Min(ContiguousRamEnd(e820, 0), LowerMemoryLimit) / 1024);
        ulong upperEnd = ContiguousRamEnd(e820, UpperMemoryStart);
        uint memUpper = (uint)Math.Min((upperEnd - UpperMemoryStart) / 1024, uint.MaxValue);
        new MultibootInfo
        {
            Flags = MultibootInfo.FlagMemory | MultibootInfo.FlagCommandLine | MultibootInfo.FlagModules
                | MultibootInfo.FlagMemoryMap | MultibootInfo.FlagBootLoaderName,
            MemLower = memLower,
            MemUpper = memUpper,
            CommandLineAddress = cmdlineAddress,
            ModuleCount = (uint)modules.Count,
            ModuleListAddress = (uint)layout.ModuleList.Value,
            MemoryMapLength = (uint)memoryMap.Length,
            MemoryMapAddress = (uint)layout.MemoryMap.Value,
            BootLoaderNameAddress = loaderNameAddress,
        }.WriteTo(memory, layout.Info);

        return new MultibootBootInfo(new GuestAddress(kernel.Entry), layout.Info, header, new GuestAddress(kernel.Start),
            new GuestAddress(kernel.End), new GuestAddress(cmdlineAddress), entries, e820, memLower, memUpper);
    }

    private static uint AddString(List<byte> strings, MultibootLayout layout, string text, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            throw new BootImageException(name, BootImageError.Malformed, $"{what} contains a NUL character");
        }

        uint address = (uint)(layout.Strings.Value + (ulong)strings.Count);
        strings.AddRange(bytes);
        strings.Add(0);
        return address;
    }

    private static void RequireLoadable(GuestMemory memory, IReadOnlyList<E820Entry> e820, MultibootSegment segment, string name)
    {
        string what = $"kernel range [0x{segment.Address:x}, 0x{segment.End:x})";
        if (segment.End > FourGiB)
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory,
                $"{what} ends above 4 GiB; a Multiboot kernel is entered without paging");
        }

        if (!memory.Contains(new GuestAddress(segment.Address), segment.MemorySize))
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory,
                $"{what} is outside guest memory ({ByteSize.Format(memory.TotalSize)})");
        }

        if (ContiguousRamEnd(e820, segment.Address) < segment.End)
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory,
                $"{what} is not all usable RAM in the memory map");
        }
    }

    private static void RequireInLowMemory(GuestMemory memory, GuestAddress address, ulong length, string name, string what)
    {
        if (address.Value + length > FourGiB || !memory.Contains(address, Math.Max(length, 1)))
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory,
                $"{what} at {address} is outside guest memory below 4 GiB");
        }
    }

    /// <summary>The end of the run of RAM entries that covers <paramref name="from"/>; <paramref name="from"/> itself when none does.</summary>
    private static ulong ContiguousRamEnd(IReadOnlyList<E820Entry> e820, ulong from)
    {
        ulong end = from;
        foreach (E820Entry entry in e820.Where(e => e.Type == E820Type.Ram).OrderBy(e => e.Address))
        {
            if (entry.End <= end)
            {
                continue;
            }

            if (entry.Address > end)
            {
                break;
            }

            end = entry.End;
        }

        return end;
    }

    private static ulong AlignUp(ulong value) => (value + PageSize - 1) & ~(PageSize - 1);
}
