using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Devices.Virtio.Vsock;

namespace SharpVmm.Fuzz;

/// <summary>
/// The real virtio devices the transport targets put behind a transport: virtio-rng (with a fixed byte pattern),
/// virtio-blk (on a 64 KiB scratch image in the temp folder, made once per process), virtio-console (writing to
/// nowhere), virtio-net (over <see cref="LoopbackNetworkBackend"/>: what it transmits comes back to it), virtio-vsock
/// (its socket in the temp folder, with <see cref="VsockEchoListener"/> behind guest port 1024) and virtio-balloon
/// (statistics every second, deflate on OOM: every feature it offers). Small queues, so that a fuzz input can fill a
/// ring.
/// </summary>
public static class FuzzVirtioDevices
{
    /// <summary>The block device's image size.</summary>
    public const int DiskSize = 64 * 1024;

    /// <summary>The vsock device's guest CID.</summary>
    public const ulong GuestCid = 3;

    private static readonly Lazy<string> DiskPath = new(CreateDisk);
    private static readonly Lazy<string> VsockPath = new(CreateVsockPath);
    private static VsockEchoListener? _echo;

    /// <summary>How many kinds <see cref="Create"/> knows.</summary>
    public const int Kinds = 6;

    /// <summary>A new device of kind <paramref name="kind"/> modulo <see cref="Kinds"/>.</summary>
    public static IVirtioDevice Create(int kind) => (kind % Kinds) switch
    {
        0 => new VirtioEntropyDevice(new PatternEntropySource(), queueSize: 8),
        1 => new VirtioBlockDevice(new RawDiskImage(DiskPath.Value), queueSize: 8),
        2 => new VirtioConsoleDevice(Stream.Null, queueSize: 8),
        3 => new VirtioNetDevice(new LoopbackNetworkBackend(), [0x06, 0, 0, 0, 0, 1], queueSize: 8),
        4 => new VirtioVsockDevice(GuestCid, VsockPath.Value, queueSize: 8, maxConnections: 4), // its Dispose removes the socket file
        _ => new VirtioBalloonDevice(16, deflateOnOom: true, statsPollingIntervalSeconds: 1, queueSize: 8),
    };

    private static string CreateDisk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpvmm-fuzz-{Environment.ProcessId}.img");
        File.WriteAllBytes(path, new byte[DiskSize]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    private static string CreateVsockPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpvmm-fuzz-{Environment.ProcessId}.vsock");
        _echo = new VsockEchoListener(path);
        return path;
    }
}
