using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Legacy;
using SharpVmm.Memory;
using SharpVmm.X86.Acpi;

namespace SharpVmm.Platform;

/// <summary>
/// ACPI S3 as QEMU's PC has it, with the VMM standing in for the firmware: the guest's write of the <c>\_S3</c> sleep
/// type with SLP_EN suspends the VM (<see cref="IVmControl.Suspend"/>); when the RTC alarm fires and the guest
/// enabled RTC_EN, PM1 status reads WAK_STS | RTC_STS, PM1 control is reset, and the boot vCPU starts in real mode at
/// the FACS firmware waking vector, the others waiting for INIT/SIPI (<see cref="IVmControl.WakeAtRealModeVector"/>).
/// With no waking vector the wake is a reboot, which ends the run as any reset does here.
/// </summary>
/// <remarks>
/// The alarm is read when the guest suspends (register B's AIE and the alarm registers, as QEMU's RTC only wakes with
/// AIE set); an alarm without RTC_EN leaves the guest asleep, as in QEMU. A power-button wake belongs with the control API.
/// </remarks>
public sealed class SuspendToRam : IDisposable
{
    private readonly Lock _lock = new();
    private readonly AcpiLayout _layout;
    private readonly AcpiPm1EventBlock _events;
    private readonly CmosRtc? _alarm;
    private readonly TimeProvider _time;
    private readonly Action _resetControl;
    private readonly IVmControl _vm;
    private readonly GuestMemory _memory;
    private ITimer? _timer;
    private bool _disposed;
    private long _suspends;

    internal SuspendToRam(IVmControl vm, GuestMemory memory, AcpiLayout layout, AcpiPm1EventBlock events, CmosRtc? alarm,
        TimeProvider time, Action resetControl)
    {
        _vm = vm;
        _memory = memory;
        _layout = layout;
        _events = events;
        _alarm = alarm;
        _time = time;
        _resetControl = resetControl;
    }

    /// <summary>Times the guest entered S3.</summary>
    public long Suspends => Interlocked.Read(ref _suspends);

    /// <summary>When the armed RTC alarm will wake the guest (host time), or null when nothing will.</summary>
    public DateTimeOffset? WakeAt { get; private set; }

    /// <summary>The guest asked for S3 (PM1a_CNT): suspend the VM and arm the RTC alarm as its wake event.</summary>
    internal void Enter()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            Interlocked.Increment(ref _suspends);
            _vm.Suspend();
            _timer?.Dispose();
            _timer = null;
            WakeAt = _alarm?.NextAlarmWake();
            if (WakeAt is DateTimeOffset at)
            {
                TimeSpan delay = at - _time.GetUtcNow();
                _timer = _time.CreateTimer(_ => OnAlarm(), null, delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnAlarm()
    {
        lock (_lock)
        {
            WakeAt = null;
            if (_disposed || !_vm.IsSuspended || !_events.RtcWakeEnabled)
            {
                return;
            }

            _events.WakeFromSleep(AcpiPm1EventBlock.RtcStatus);
            _resetControl();
            uint vector = AcpiTables.ReadFirmwareWakingVector(_memory, _layout);
            if (vector is 0 or > 0xF_FFFF)
            {
                _vm.RequestReset($"woke from ACPI S3 with no usable firmware waking vector (0x{vector:x})");
            }
            else if (!_vm.WakeAtRealModeVector(vector))
            {
                _vm.RequestReset("woke from ACPI S3, but the vCPUs did not stop in time to be reset");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
