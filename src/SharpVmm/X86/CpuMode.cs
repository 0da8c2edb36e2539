namespace SharpVmm.X86;

/// <summary>The CPU mode a raw guest starts in (always at CPL0).</summary>
public enum CpuMode
{
    /// <summary>16-bit real mode: CS:IP with segment bases of selector × 16.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("real")]
    Real,
    /// <summary>32-bit protected mode with flat 4 GiB code and data segments, paging off.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("protected")]
    Protected32,
    /// <summary>64-bit long mode with the first 4 GiB identity-mapped by 2 MiB pages.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("long")]
    Long64,
}
