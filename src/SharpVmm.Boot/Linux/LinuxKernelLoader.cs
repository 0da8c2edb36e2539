using System.Text;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Linux;

/// <summary>
/// Loads a bzImage for the Linux/x86 64-bit boot protocol (Documentation/arch/x86/boot.rst): protected-mode kernel at
/// the layout's load address (1 MiB), command line, initrd (page aligned, as high as the kernel allows), and a zero page
/// with the setup header and e820 map. Everything is checked before the first byte is written.
/// </summary>
public static class LinuxKernelLoader
{
    private const ulong PageSize = 4096;

    /// <summary>Loads with the PC memory map of <see cref="E820Map.ForGuestMemory"/>.</summary>
    /// <inheritdoc cref="Load(GuestMemory, ReadOnlySpan{byte}, ReadOnlySpan{byte}, string, LinuxBootLayout, IReadOnlyList{E820Entry}, string, string)"/>
    public static LinuxBootInfo Load(GuestMemory memory, ReadOnlySpan<byte> bzImage, ReadOnlySpan<byte> initrd, string cmdline, LinuxBootLayout layout)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return Load(memory, bzImage, initrd, cmdline, layout, E820Map.ForGuestMemory(memory));
    }

    /// <summary>Loads <paramref name="bzImage"/> and <paramref name="initrd"/> into <paramref name="memory"/> and writes the zero page.</summary>
    /// <param name="memory">Guest memory to write into.</param>
    /// <param name="bzImage">The whole bzImage file.</param>
    /// <param name="initrd">The initial ramdisk; empty for none.</param>
    /// <param name="cmdline">The kernel command line (without NUL).</param>
    /// <param name="layout">Where the zero page, command line and kernel go.</param>
    /// <param name="e820">The memory map handed to the kernel; the initrd is placed only in its RAM entries.</param>
    /// <param name="kernelName">Names the kernel in errors (usually its path).</param>
    /// <param name="initrdName">Names the initrd in errors.</param>
    /// <returns>The entry point, zero-page address and what went where.</returns>
    /// <exception cref="BootImageException">The image is malformed or unsupported, or something does not fit.</exception>
    /// <exception cref="ArgumentException">The e820 map has more than 128 entries or an empty entry.</exception>
    public static LinuxBootInfo Load(GuestMemory memory, ReadOnlySpan<byte> bzImage, ReadOnlySpan<byte> initrd, string cmdline,
        LinuxBootLayout layout, IReadOnlyList<E820Entry> e820, string kernelName = "bzImage", string initrdName = "initrd")
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(cmdline);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(e820);
        E820Map.Validate(e820, BootParams.MaxE820Entries);

        LinuxSetupHeader header = LinuxSetupHeader.Parse(kernelName, bzImage);
        header.Require64BitEntry(kernelName);
        ReadOnlySpan<byte> kernel = bzImage[header.ProtectedModeOffset..];
        GuestAddress load = layout.KernelLoadAddress;

        if (!memory.Contains(load, 1))
        {
            throw new BootImageException(kernelName, BootImageError.LoadAddressOutsideMemory,
                $"kernel load address {load} is outside guest memory ({ByteSize.Format(memory.TotalSize)})");
        }

        if (!memory.Contains(load, (ulong)kernel.Length))
        {
            throw new BootImageException(kernelName, BootImageError.TooLarge,
                $"protected-mode kernel of {kernel.Length} bytes does not fit in guest memory at {load} ({ByteSize.Format(memory.TotalSize)} of guest memory)");
        }

        ulong kernelMemoryEnd = KernelMemoryEnd(memory, header, load, (ulong)kernel.Length, kernelName);

        if (!memory.Contains(layout.ZeroPage, BootParams.Size))
        {
            throw new BootImageException(kernelName, BootImageError.LoadAddressOutsideMemory,
                $"zero page at {layout.ZeroPage} is outside guest memory");
        }

        GuestAddress? initrdAddress = initrd.IsEmpty ? null
            : PlaceInitrd(memory, e820, header, (ulong)initrd.Length, AlignUp(kernelMemoryEnd, PageSize), initrdName);

        PlacementCheck.RequireDisjoint(kernelName,
            ("the kernel and its init_size", load.Value, kernelMemoryEnd - load.Value),
            ("the zero page", layout.ZeroPage.Value, BootParams.Size),
            ("the command line", layout.CommandLine.Value, (ulong)Encoding.UTF8.GetByteCount(cmdline) + 1));

        int cmdlineSize = CommandLineWriter.Write(memory, layout.CommandLine, cmdline, header.CommandLineSize, kernelName);
        memory.Write(load, kernel);
        if (initrdAddress is { } initrdAt)
        {
            memory.Write(initrdAt, initrd);
        }

        var zeroPage = new BootParams(header);
        zeroPage.SetHeapEnd(layout.HeapEndPointer);
        zeroPage.SetCommandLine(layout.CommandLine);
        if (initrdAddress is { } ramdisk)
        {
            zeroPage.SetRamdisk(ramdisk, (ulong)initrd.Length);
        }

        if (layout.AcpiRsdp is { } rsdp)
        {
            zeroPage.SetAcpiRsdpAddress(rsdp);
        }

        zeroPage.SetE820Map(e820);
        zeroPage.WriteTo(memory, layout.ZeroPage);

        return new LinuxBootInfo(
            load.Add(LinuxSetupHeader.Entry64Offset), layout.ZeroPage, load, (ulong)kernel.Length, new GuestAddress(kernelMemoryEnd),
            layout.CommandLine, cmdlineSize, initrdAddress, initrdAddress is null ? 0 : (ulong)initrd.Length, e820, header);
    }

    // boot.rst ("init_size"): the kernel runs from runtime_start and needs init_size bytes there while it decompresses
    // and initializes; a relocatable kernel moves up to pref_address if loaded below it, then aligns to kernel_alignment.
    private static ulong KernelMemoryEnd(GuestMemory memory, LinuxSetupHeader header, GuestAddress load, ulong kernelSize, string name)
    {
        ulong loadedEnd = load.Value + kernelSize;
        if (header.InitSize == 0)
        {
            return loadedEnd;
        }

        ulong runtimeStart = header.RelocatableKernel
            ? AlignUp(Math.Max(load.Value, header.PreferredAddress), Math.Max(header.KernelAlignment, 1))
            : header.PreferredAddress;
        var start = new GuestAddress(runtimeStart);
        if (!memory.Contains(start, header.InitSize))
        {
            throw new BootImageException(name, BootImageError.TooLarge,
                $"kernel needs {header.InitSize} bytes (init_size) from {start}, more than guest memory ({ByteSize.Format(memory.TotalSize)}) holds");
        }

        return Math.Max(loadedEnd, runtimeStart + header.InitSize);
    }

    private static GuestAddress PlaceInitrd(GuestMemory memory, IReadOnlyList<E820Entry> e820, LinuxSetupHeader header,
        ulong size, ulong lowest, string name)
    {
        // initrd_addr_max is the highest address the last byte may have.
        ulong limit = (ulong)header.InitrdAddressMax + 1;
        return InitrdPlacement.FindHighest(memory, e820, size, lowest, limit)
            ?? throw new BootImageException(name, BootImageError.InitrdDoesNotFit,
                $"initrd of {size} bytes does not fit in guest RAM between the kernel's end (0x{lowest:x}) and min(initrd_addr_max + 1 = 0x{limit:x}, end of RAM)");
    }

    private static ulong AlignUp(ulong value, ulong alignment) =>
        alignment <= 1 ? value : (value + alignment - 1) / alignment * alignment;
}
