namespace SharpVmm.Boot.Elf;

/// <summary>One ELF note (Elf_Nhdr, name, descriptor).</summary>
/// <param name="Name">The owner name without its terminating NUL, e.g. "Xen" or "GNU".</param>
/// <param name="Type">n_type, whose meaning depends on the owner.</param>
/// <param name="Descriptor">The descriptor bytes (n_descsz of them).</param>
public sealed record ElfNote(string Name, uint Type, ReadOnlyMemory<byte> Descriptor);
