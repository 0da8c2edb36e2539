namespace SharpVmm.Boot.MemoryMap;

/// <summary>The type of an e820 (BIOS INT 15h, AX=E820h) memory-map entry; PVH's memmap uses the same values.</summary>
public enum E820Type : uint
{
    /// <summary>Usable RAM.</summary>
    Ram = 1,
    /// <summary>Reserved: not to be used by the operating system.</summary>
    Reserved = 2,
    /// <summary>ACPI tables: usable once the tables have been read.</summary>
    Acpi = 3,
    /// <summary>ACPI non-volatile storage: must be preserved across sleep.</summary>
    Nvs = 4,
    /// <summary>Memory with detected errors.</summary>
    Unusable = 5,
}
