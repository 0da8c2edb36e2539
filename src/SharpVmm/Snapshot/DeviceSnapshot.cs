using SharpVmm.Devices;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Devices.Virtio.RateLimiting;
using SharpVmm.Platform;

namespace SharpVmm.Snapshot;

/// <summary>Saves every device of a paused <see cref="MicroVm"/>, and gives a freshly built one its saved state.</summary>
internal static class DeviceSnapshot
{
    public static DeviceSnapshotState Capture(MicroVmParts parts)
    {
        var state = new DeviceSnapshotState
        {
            Serial = parts.Serial.SaveState(),
            Keyboard = parts.Pc?.Keyboard.SaveState(),
            Rtc = parts.Pc?.Rtc.SaveState(),
            FirmwareConfig = parts.Pc?.FirmwareConfig.SaveState(),
            AcpiEvents = parts.Acpi?.Events.SaveState(),
            AcpiControl = parts.Acpi?.Control.SaveState(),
            AcpiTimer = parts.Acpi?.Timer.SaveState(),
            PciHostBridge = parts.Virtio?.HostBridge?.SaveState(),
        };
        if (parts.Virtio is { } virtio)
        {
            for (int i = 0; i < virtio.Devices.Count; i++)
            {
                IVirtioDevice device = virtio.Devices[i];
                state.Virtio.Add(new VirtioDeviceSnapshotState
                {
                    DeviceType = device.DeviceType.ToString(),
                    Net = (device as VirtioNetDevice)?.SaveState(),
                    Console = (device as VirtioConsoleDevice)?.SaveState(),
                    Balloon = (device as VirtioBalloonDevice)?.SaveState(),
                    RateLimiters = LimitersOf(device) is { Length: > 0 } limiters ? [.. limiters.Select(l => l.SaveState())] : null,
                    Pci = virtio.Transport == VirtioTransport.Pci ? virtio.PciDevices[i].SaveState() : null,
                    Mmio = virtio.Transport == VirtioTransport.Mmio ? virtio.MmioDevices[i].SaveState() : null,
                });
            }
        }

        return state;
    }

    /// <summary>Restores every device; a device that refuses its state is reported with a <see cref="SnapshotException"/>.</summary>
    public static void Apply(MicroVmParts parts, DeviceSnapshotState state)
    {
        try
        {
            Restore(parts.Serial.RestoreState, state.Serial, "COM1");
            if (parts.Pc is { } pc)
            {
                Restore(pc.Keyboard.RestoreState, state.Keyboard, "the i8042");
                Restore(pc.Rtc.RestoreState, state.Rtc, "the RTC");
                Restore(pc.FirmwareConfig.RestoreState, state.FirmwareConfig, "fw_cfg");
            }

            if (parts.Acpi is { } acpi)
            {
                Restore(acpi.Events.RestoreState, state.AcpiEvents, "the ACPI PM1 event block");
                Restore(acpi.Control.RestoreState, state.AcpiControl, "the ACPI PM1 control block");
                Restore(acpi.Timer.RestoreState, state.AcpiTimer, "the ACPI PM timer");
            }

            if (parts.Virtio?.HostBridge is { } bridge)
            {
                Restore(bridge.RestoreState, state.PciHostBridge, "the PCI host bridge");
            }

            RestoreVirtio(parts.Virtio, state.Virtio);
        }
        catch (DeviceStateException ex)
        {
            throw new SnapshotException($"the snapshot's device state cannot be restored: {ex.Message}", ex);
        }
    }

    private static void RestoreVirtio(VirtioPlatform? virtio, List<VirtioDeviceSnapshotState> saved)
    {
        int count = virtio?.Devices.Count ?? 0;
        if (count != saved.Count)
        {
            throw new SnapshotException($"the snapshot has {saved.Count} virtio device(s); the VM built from its configuration has {count}");
        }

        for (int i = 0; i < count; i++)
        {
            IVirtioDevice device = virtio!.Devices[i];
            VirtioDeviceSnapshotState state = saved[i];
            if (state.DeviceType != device.DeviceType.ToString())
            {
                throw new SnapshotException($"virtio device {i} is {state.DeviceType} in the snapshot and {device.DeviceType} here");
            }

            // The device's own state first: the transport's restore activates the device, which takes it up.
            if (device is VirtioNetDevice net && state.Net is { } netState)
            {
                net.RestoreState(netState);
            }

            if (device is VirtioConsoleDevice console && state.Console is { } consoleState)
            {
                console.RestoreState(consoleState);
            }

            if (device is VirtioBalloonDevice balloon && state.Balloon is { } balloonState)
            {
                balloon.RestoreState(balloonState);
            }

            RateLimiter[] limiters = LimitersOf(device);
            if (state.RateLimiters is { } savedLimiters)
            {
                if (savedLimiters.Count != limiters.Length)
                {
                    throw new SnapshotException($"virtio device {i} has {savedLimiters.Count} rate limiter(s) in the snapshot and {limiters.Length} here");
                }

                for (int l = 0; l < limiters.Length; l++)
                {
                    limiters[l].RestoreState(savedLimiters[l]);
                }
            }

            if (virtio.Transport == VirtioTransport.Pci)
            {
                virtio.PciDevices[i].RestoreState(state.Pci ?? throw new SnapshotException($"virtio device {i} has no PCI transport state in the snapshot"));
            }
            else
            {
                virtio.MmioDevices[i].RestoreState(state.Mmio ?? throw new SnapshotException($"virtio device {i} has no MMIO transport state in the snapshot"));
            }
        }
    }

    // The limiters a device has, in a fixed order: what the snapshot's list follows.
    private static RateLimiter[] LimitersOf(IVirtioDevice device) => device switch
    {
        VirtioBlockDevice block => [block.RateLimiter],
        VirtioNetDevice net => [net.RxRateLimiter, net.TxRateLimiter],
        VirtioEntropyDevice rng => [rng.RateLimiter],
        _ => [],
    };

    private static void Restore<T>(Action<T> restore, T? state, string device)
        where T : class => restore(state ?? throw new SnapshotException($"the snapshot has no state for {device}, which this VM has"));
}
