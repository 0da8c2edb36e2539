using SharpVmm.Devices.Virtio.Balloon;

namespace SharpVmm;

// The balloon of a running VM, for embedders: its target, its counters and the guest's memory statistics.
public sealed partial class MicroVm
{
    /// <summary>
    /// The virtio-balloon device (<see cref="Configuration.VmConfig.Balloon"/>); null when the VM has none. Set its
    /// target with <see cref="VirtioBalloonDevice.SetTarget"/> (the guest is told at once), read the guest's statistics
    /// with <see cref="VirtioBalloonDevice.GetStatistics"/>, and what it returned to the host with its counters.
    /// </summary>
    public VirtioBalloonDevice? Balloon => Virtio?.Devices.OfType<VirtioBalloonDevice>().FirstOrDefault();
}
