using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>One buffer of a descriptor chain: a range of guest memory that lies wholly inside one memory region.</summary>
/// <param name="Address">Guest-physical start.</param>
/// <param name="Length">Length in bytes (never 0: zero-length descriptors carry nothing and are left out).</param>
public readonly record struct GuestBuffer(GuestAddress Address, uint Length);
