namespace SharpVmm.Boot.Elf;

/// <summary>p_type of a program header (the values a loader cares about; others pass through unnamed).</summary>
public enum ElfSegmentType : uint
{
    /// <summary>PT_NULL: unused entry.</summary>
    Null = 0,
    /// <summary>PT_LOAD: copy p_filesz bytes from p_offset, zero up to p_memsz.</summary>
    Load = 1,
    /// <summary>PT_DYNAMIC.</summary>
    Dynamic = 2,
    /// <summary>PT_INTERP.</summary>
    Interp = 3,
    /// <summary>PT_NOTE: a run of notes.</summary>
    Note = 4,
}
