namespace SharpVmm.Boot.Multiboot;

/// <summary>A boot module handed to a Multiboot kernel (Multiboot 0.6.96 section 3.3, mods_*): a file and its string.</summary>
/// <param name="Contents">The module's bytes.</param>
/// <param name="String">The zero-terminated string the kernel gets with it (usually a command line); may be empty.</param>
/// <param name="Name">Names the module in errors (usually its path).</param>
public sealed record MultibootModule(ReadOnlyMemory<byte> Contents, string String, string Name);
