using SharpVmm.Exits;
using SharpVmm.Kvm;

namespace SharpVmm;

/// <summary>What a <see cref="MicroVm"/> is given by its host program, beside its <see cref="Configuration.VmConfig"/>.</summary>
public sealed record MicroVmOptions
{
    /// <summary>Where the guest's console output goes (COM1, or the virtio-console), unless the configuration names a file.</summary>
    public Stream ConsoleOutput { get; init; } = Stream.Null;

    /// <summary>The KVM device to open.</summary>
    public string KvmDevicePath { get; init; } = KvmSystem.DefaultDevicePath;

    /// <summary>Where the VM logs (state changes, unclaimed addresses once each, device failures); none by default.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>Sees every port I/O and MMIO exit (e.g. the CLI's <c>--trace-io</c>); null for none.</summary>
    public IExitTracer? ExitTracer { get; init; }
}
