namespace SharpVmm.Boot.Elf;

/// <summary>EI_CLASS: the ELF file's word size.</summary>
public enum ElfClass : byte
{
    /// <summary>ELFCLASS32.</summary>
    Elf32 = 1,
    /// <summary>ELFCLASS64.</summary>
    Elf64 = 2,
}
