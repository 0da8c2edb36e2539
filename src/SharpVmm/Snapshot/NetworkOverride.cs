namespace SharpVmm.Snapshot;

/// <summary>Puts a restored network interface on another host TAP (Firecracker's <c>network_overrides</c>), so clones of one snapshot each have their own.</summary>
/// <param name="IfaceId">The interface's <c>iface_id</c> in the snapshot.</param>
/// <param name="HostDevName">The TAP to use instead.</param>
public sealed record NetworkOverride(string IfaceId, string HostDevName);
