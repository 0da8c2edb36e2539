using SharpVmm.Devices.Virtio.Block;

namespace SharpVmm;

public sealed partial class MicroVm
{
    /// <summary>
    /// Ends the VM in order, so that what the guest wrote is on stable storage: stops the vCPUs (if the run still
    /// goes) and waits for their threads, pauses every virtio device (a request in flight completes, and no new one
    /// starts), then fdatasyncs every writable disk image. <see cref="Dispose"/> still follows. A VM that never started
    /// wrote nothing, and is left alone. Safe to call more than once.
    /// </summary>
    /// <returns>The writable disk images synced, in guest order.</returns>
    /// <exception cref="IOException">An fdatasync failed; the message names the image. The other disks were synced first.</exception>
    public IReadOnlyList<string> Shutdown()
    {
        if (State == VmState.NotStarted)
        {
            return [];
        }

        Machine.Stop(); // the first ending wins: a run that already ended keeps its result
        _ = Machine.WaitForExit();
        if (Virtio is null)
        {
            return [];
        }

        Virtio.Pause();
        var synced = new List<string>();
        IOException? failure = null;
        foreach (VirtioBlockDevice disk in Virtio.Devices.OfType<VirtioBlockDevice>().Where(d => !d.Image.ReadOnly))
        {
            try
            {
                disk.Image.Flush();
                synced.Add(disk.Image.Path);
            }
            catch (IOException ex)
            {
                failure ??= new IOException($"disk image '{disk.Image.Path}': {ex.Message}", ex);
            }
        }

        return failure is null ? synced : throw failure;
    }
}
