namespace SharpVmm.Snapshot;

/// <summary>
/// A snapshot that cannot be written, or a snapshot file that cannot be restored: truncated, corrupted, of another
/// format version, SharpVmm version or CPU vendor, or not matching its memory file. Raised before anything is mapped
/// or any KVM state is set, so nothing is left half-restored.
/// </summary>
public sealed class SnapshotException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public SnapshotException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public SnapshotException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
