using SharpVmm.Devices.Bus;

namespace SharpVmm.Fuzz;

/// <summary>Plays an <see cref="AccessScript"/> against one bus device, as a guest's port or MMIO accesses would reach it.</summary>
public static class BusDeviceDriver
{
    /// <summary>
    /// Runs every access of <paramref name="script"/> against <paramref name="device"/> (offsets modulo
    /// <paramref name="window"/>, read from <paramref name="offsetBytes"/> bytes); the harness's own operations go to
    /// <paramref name="action"/>. At most <paramref name="maxAccesses"/> accesses, so an input's cost stays bounded.
    /// </summary>
    public static void Play(ref AccessScript script, IBusDevice device, ulong window, int offsetBytes, Action<GuestAccess> action, int maxAccesses = 4096)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(action);
        Span<byte> data = stackalloc byte[8];
        for (int i = 0; i < maxAccesses && script.HasMore; i++)
        {
            GuestAccess access = script.Next(window, offsetBytes, data);
            switch (access.Kind)
            {
                case GuestAccessKind.Read:
                    device.Read(access.Offset, data[..access.Width]);
                    break;
                case GuestAccessKind.Action:
                    action(access);
                    break;
                default:
                    device.Write(access.Offset, data[..access.Width]);
                    break;
            }
        }
    }
}
