namespace SharpVmm.Snapshot;

/// <summary>How a restored VM's memory is brought back from its memory file.</summary>
public enum MemoryBackend
{
    /// <summary>
    /// Mapped <c>MAP_PRIVATE</c>: copy-on-write, read lazily as the guest touches it, so a restore costs the same for any
    /// memory size (Firecracker's <c>File</c> backend). The file must stay in place while the VM runs.
    /// </summary>
    File,

    /// <summary>Copied into fresh anonymous memory before the VM runs: slower for large guests, but the file may go at once.</summary>
    Copy,
}
