using SharpVmm.Boot;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Kvm;
using SharpVmm.Memory;
using SharpVmm.Sys;

namespace SharpVmm.Cli;

/// <summary>Maps host-side failures to one-line messages and exit codes.</summary>
public static class CliErrors
{
    /// <summary>The exit code and one-line message for <paramref name="error"/>.</summary>
    public static (int ExitCode, string Message) Describe(Exception error) => error switch
    {
        UsageException e => (ExitCodes.Usage, e.Message),
        Configuration.VmConfigurationException e => (ExitCodes.Usage, $"configuration: {e.Message}"),
        KvmUnavailableException e => (ExitCodes.KvmUnavailable, e.Message),
        BootImageException { Error: BootImageError.LoadAddressOutsideMemory } e => (ExitCodes.LoadAddressOutsideMemory, e.Message),
        BootImageException e => (ExitCodes.BadImage, e.Message),
        BusConflictException e => (ExitCodes.Usage, $"device layout: {e.Message}"),
        GuestMemoryException e => (ExitCodes.Usage, e.Message),
        ArgumentOutOfRangeException e => (ExitCodes.Usage, e.Message.Split('\n')[0].Split(" (Parameter")[0]),
        KvmException e => (ExitCodes.HostError, e.Message),
        SystemCallException e => (ExitCodes.HostError, e.Message),
        DiskImageException e => (ExitCodes.DeviceBackend, $"--disk: {e.Message}"),
        TapException e => (ExitCodes.DeviceBackend, $"--net: {e.Message}"),
        _ => (ExitCodes.InternalError, $"internal error: {error.GetType().Name}: {error.Message}"),
    };
}
