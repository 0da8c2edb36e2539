using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>How guest memory is backed (Firecracker's <c>huge_pages</c>).</summary>
public enum HugePages
{
    /// <summary>Regular 4 KiB pages.</summary>
    [JsonStringEnumMemberName("None")]
    None,

    /// <summary>Transparent huge pages: the mapping is <c>madvise(MADV_HUGEPAGE)</c>d.</summary>
    [JsonStringEnumMemberName("Transparent")]
    Transparent,

    /// <summary>Explicit 2 MiB hugetlbfs pages (not supported by SharpVmm: refused by validation).</summary>
    [JsonStringEnumMemberName("2M")]
    Hugetlbfs2M,
}
