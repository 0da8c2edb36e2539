using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;

namespace SharpVmm.Fuzz;

/// <summary>
/// The real virtio devices the transport targets put behind a transport: virtio-rng (with a fixed byte pattern),
/// virtio-blk (on a 64 KiB scratch image in the temp folder, made once per process) and virtio-console (writing to
/// nowhere). Small queues, so that a fuzz input can fill a ring.
/// </summary>
public static class FuzzVirtioDevices
{
    /// <summary>The block device's image size.</summary>
    public const int DiskSize = 64 * 1024;

    private static readonly Lazy<string> DiskPath = new(CreateDisk);

    /// <summary>How many kinds <see cref="Create"/> knows.</summary>
    public const int Kinds = 3;

    /// <summary>A new device of kind <paramref name="kind"/> modulo <see cref="Kinds"/>.</summary>
    public static IVirtioDevice Create(int kind) => (kind % Kinds) switch
    {
        0 => new VirtioEntropyDevice(new PatternEntropySource(), queueSize: 8),
        1 => new VirtioBlockDevice(new RawDiskImage(DiskPath.Value), queueSize: 8),
        _ => new VirtioConsoleDevice(Stream.Null, queueSize: 8),
    };

    private static string CreateDisk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpvmm-fuzz-{Environment.ProcessId}.img");
        File.WriteAllBytes(path, new byte[DiskSize]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }
}
