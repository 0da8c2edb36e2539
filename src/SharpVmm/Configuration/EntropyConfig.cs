namespace SharpVmm.Configuration;

/// <summary>A virtio-rng device fed from the host's getrandom(2) (Firecracker's <c>entropy</c>; it has no settings here).</summary>
public sealed record EntropyConfig;
