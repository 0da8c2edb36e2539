namespace SharpVmm.Boot.Elf;

/// <summary>One program header (Elf32_Phdr or Elf64_Phdr, widened to 64 bits).</summary>
/// <param name="Type">p_type.</param>
/// <param name="Flags">p_flags (PF_X = 1, PF_W = 2, PF_R = 4).</param>
/// <param name="Offset">p_offset: where the segment's bytes start in the file.</param>
/// <param name="VirtualAddress">p_vaddr.</param>
/// <param name="PhysicalAddress">p_paddr: where a loader without paging puts the segment.</param>
/// <param name="FileSize">p_filesz: bytes present in the file.</param>
/// <param name="MemorySize">p_memsz: bytes in memory; the part past p_filesz is zero (bss).</param>
/// <param name="Alignment">p_align.</param>
public readonly record struct ElfProgramHeader(
    ElfSegmentType Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong PhysicalAddress, ulong FileSize, ulong MemorySize, ulong Alignment)
{
    /// <summary>The first physical address after the segment in memory.</summary>
    public ulong PhysicalEnd => PhysicalAddress + MemorySize;
}
