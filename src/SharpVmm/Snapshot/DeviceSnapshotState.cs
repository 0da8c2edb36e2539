using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Firmware;
using SharpVmm.Devices.Legacy;
using SharpVmm.Devices.Pci;

namespace SharpVmm.Snapshot;

/// <summary>Every device's guest-visible state in a snapshot; a device the VM does not have is null.</summary>
public sealed record DeviceSnapshotState
{
    /// <summary>COM1.</summary>
    public Uart8250State? Serial { get; set; }

    /// <summary>The i8042 and its keyboard.</summary>
    public I8042ControllerState? Keyboard { get; set; }

    /// <summary>The RTC and CMOS RAM.</summary>
    public CmosRtcState? Rtc { get; set; }

    /// <summary>fw_cfg's selection.</summary>
    public FwCfgState? FirmwareConfig { get; set; }

    /// <summary>ACPI PM1 event block.</summary>
    public AcpiPm1EventState? AcpiEvents { get; set; }

    /// <summary>ACPI PM1 control block.</summary>
    public AcpiPm1ControlState? AcpiControl { get; set; }

    /// <summary>ACPI PM timer.</summary>
    public AcpiPmTimerState? AcpiTimer { get; set; }

    /// <summary>The PCI host bridge (the config address latch, function 00:00.0).</summary>
    public PciHostBridgeState? PciHostBridge { get; set; }

    /// <summary>The virtio devices, in the order the VM adds them.</summary>
    public List<VirtioDeviceSnapshotState> Virtio { get; set; } = [];
}
