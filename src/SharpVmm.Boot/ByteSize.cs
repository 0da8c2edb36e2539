namespace SharpVmm.Boot;

/// <summary>Formats byte counts for error messages.</summary>
internal static class ByteSize
{
    /// <summary>"64 MiB", "4 KiB" or "1234 bytes", whichever is exact.</summary>
    public static string Format(ulong bytes) =>
        bytes % (1 << 20) == 0 && bytes != 0 ? $"{bytes >> 20} MiB"
        : bytes % 1024 == 0 && bytes != 0 ? $"{bytes >> 10} KiB"
        : $"{bytes} bytes";
}
