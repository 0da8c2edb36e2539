using SharpVmm.Kvm;

namespace SharpVmm.Api;

/// <summary>What a <see cref="FirecrackerVmm"/> is given by the process that hosts it.</summary>
public sealed record FirecrackerVmmOptions
{
    /// <summary>The instance id (<c>--id</c>), shown by <c>GET /</c>.</summary>
    public string Id { get; init; } = "anonymous-instance";

    /// <summary>Where COM1's output goes unless <c>PUT /serial</c> names a file (Firecracker: stdout).</summary>
    public Stream ConsoleOutput { get; init; } = Stream.Null;

    /// <summary>The KVM device.</summary>
    public string KvmDevicePath { get; init; } = KvmSystem.DefaultDevicePath;

    /// <summary>Called on a thread of its own when the guest's run ends (the process then usually exits, as Firecracker does).</summary>
    public Action<VmRunResult>? RunEnded { get; init; }

    /// <summary>
    /// Where <c>--boot-timer</c> lines go (Firecracker's boot timer): after a snapshot load that resumes the VM, how long
    /// the load took and when the guest's first exit came; null for none.
    /// </summary>
    public TextWriter? BootTimer { get; init; }
}
