namespace SharpVmm.Boot;

/// <summary>What is wrong with a boot image.</summary>
public enum BootImageError
{
    /// <summary>The file does not exist.</summary>
    Missing,
    /// <summary>The file exists but cannot be read.</summary>
    Unreadable,
    /// <summary>The image does not fit in guest memory at the requested address.</summary>
    TooLarge,
    /// <summary>The requested load address is not backed by guest memory.</summary>
    LoadAddressOutsideMemory,
    /// <summary>The file's contents are not a valid image of the expected kind.</summary>
    Malformed,
    /// <summary>The file ends before a header, table or segment it describes.</summary>
    Truncated,
    /// <summary>A magic number or signature that identifies the format is missing or wrong.</summary>
    BadMagic,
    /// <summary>The image is well formed but needs a protocol version, class or feature this loader does not offer.</summary>
    Unsupported,
    /// <summary>The kernel command line is longer than the kernel or the layout accepts.</summary>
    CommandLineTooLong,
    /// <summary>The initial ramdisk does not fit in guest RAM where the kernel can reach it.</summary>
    InitrdDoesNotFit,
    /// <summary>An ELF kernel has no Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY).</summary>
    NoPvhEntryPoint,
    /// <summary>Two things the loader would place (kernel, boot structures, command line) overlap in guest memory.</summary>
    Overlap,
}
