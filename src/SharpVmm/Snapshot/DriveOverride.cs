namespace SharpVmm.Snapshot;

/// <summary>
/// Backs a restored drive with another file (SharpVmm's addition beside Firecracker's network overrides), so clones of
/// one snapshot each write their own disk. The file must be a copy of the one snapshotted: the guest's page cache
/// and file system state came with the snapshot.
/// </summary>
/// <param name="DriveId">The drive's <c>drive_id</c> in the snapshot.</param>
/// <param name="PathOnHost">The file to use instead.</param>
public sealed record DriveOverride(string DriveId, string PathOnHost);
