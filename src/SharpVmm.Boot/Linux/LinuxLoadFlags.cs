namespace SharpVmm.Boot.Linux;

/// <summary>The setup header's <c>loadflags</c> byte (offset 0x211; Documentation/arch/x86/boot.rst).</summary>
[Flags]
public enum LinuxLoadFlags : byte
{
    /// <summary>No flag set.</summary>
    None = 0,
    /// <summary>LOADED_HIGH: the protected-mode code is loaded at 0x100000.</summary>
    LoadedHigh = 0x01,
    /// <summary>KASLR_FLAG: set by the kernel when KASLR is enabled.</summary>
    KaslrFlag = 0x02,
    /// <summary>QUIET_FLAG: suppress early messages.</summary>
    QuietFlag = 0x20,
    /// <summary>KEEP_SEGMENTS: obsolete.</summary>
    KeepSegments = 0x40,
    /// <summary>CAN_USE_HEAP: heap_end_ptr is valid.</summary>
    CanUseHeap = 0x80,
}
