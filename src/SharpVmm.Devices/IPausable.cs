namespace SharpVmm.Devices;

/// <summary>
/// A resource with host threads that touch guest memory (a virtio device's worker, a network receive loop): the VM
/// pauses it after its vCPUs have parked and resumes it before they run again.
/// </summary>
public interface IPausable
{
    /// <summary>Returns only once the resource's threads have stopped touching guest memory and queues; work that
    /// arrives meanwhile waits for <see cref="Resume"/>.</summary>
    void Pause();

    /// <summary>Lets the resource's threads go on, and take up whatever arrived while it was paused.</summary>
    void Resume();
}
