using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Snapshot;

/// <summary>
/// What KVM holds for the VM as a whole, as plain data a snapshot serializes: the in-kernel PICs and IOAPIC, the
/// i8254 and kvmclock. Capture it from a paused VM; apply it to a new VM (with the same irqchip and PIT) before its
/// vCPUs' state (<see cref="VcpuState.ApplyTo"/>), since their kvmclock MSRs are read against the clock.
/// </summary>
public sealed class VmKvmState
{
    /// <summary>
    /// The master PIC: <c>struct kvm_irqchip</c> (520 bytes, chip id 0, then the 512-byte union holding a
    /// <c>struct kvm_pic_state</c>); null without the in-kernel irqchip.
    /// </summary>
    public byte[]? PicMaster { get; set; }

    /// <summary>The slave PIC, like <see cref="PicMaster"/> (chip id 1).</summary>
    public byte[]? PicSlave { get; set; }

    /// <summary>The IOAPIC: <c>struct kvm_irqchip</c> with chip id 2 and a <c>struct kvm_ioapic_state</c>; null without the in-kernel irqchip.</summary>
    public byte[]? Ioapic { get; set; }

    /// <summary><c>struct kvm_pit_state2</c>; null without the in-kernel PIT.</summary>
    public byte[]? Pit { get; set; }

    /// <summary>kvmclock when captured, in nanoseconds.</summary>
    public ulong ClockNanoseconds { get; set; }

    /// <summary>
    /// The <c>KVM_CLOCK_*</c> flags KVM returned: <see cref="KvmClockData.FlagTscStable"/> says the clock is KVM's
    /// master clock, one for every vCPU (a host with a stable TSC); only with it does KVM give
    /// <see cref="KvmClockData.FlagRealtime"/> (<see cref="RealtimeNanoseconds"/> is valid) and
    /// <see cref="KvmClockData.FlagHostTsc"/> (<see cref="HostTsc"/> is).
    /// </summary>
    public uint ClockFlags { get; set; }

    /// <summary>Host CLOCK_REALTIME when the clock was read, when <see cref="ClockFlags"/> has <c>KVM_CLOCK_REALTIME</c>.</summary>
    public ulong RealtimeNanoseconds { get; set; }

    /// <summary>The host TSC when the clock was read, when <see cref="ClockFlags"/> has <c>KVM_CLOCK_HOST_TSC</c>.</summary>
    public ulong HostTsc { get; set; }

    /// <summary>Reads the state of <paramref name="vm"/>, whose vCPUs must be off <c>KVM_RUN</c>.</summary>
    /// <exception cref="KvmException">A KVM_GET_* ioctl failed.</exception>
    public static VmKvmState Capture(KvmVm vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var state = new VmKvmState();
        if (vm.HasPit)
        {
            state.Pit = RawStruct.ToBytes(vm.GetPit2());
        }

        KvmClockData clock = vm.GetClock();
        state.ClockNanoseconds = clock.Clock;
        state.ClockFlags = clock.Flags;
        state.RealtimeNanoseconds = clock.Realtime;
        state.HostTsc = clock.HostTsc;

        if (vm.HasIrqchip)
        {
            state.PicMaster = RawStruct.ToBytes(vm.GetIrqchip(KvmIrqchip.PicMaster));
            state.PicSlave = RawStruct.ToBytes(vm.GetIrqchip(KvmIrqchip.PicSlave));
            state.Ioapic = RawStruct.ToBytes(vm.GetIrqchip(KvmIrqchip.Ioapic));
        }

        return state;
    }

    /// <summary>
    /// Writes this state into <paramref name="vm"/>, a new VM with the same irqchip and PIT, before its vCPUs run. The
    /// guest's clock goes on from <see cref="ClockNanoseconds"/>: the time between capture and restore does not pass
    /// for the guest (as in Firecracker).
    /// </summary>
    /// <exception cref="InvalidDataException">A field does not hold its kernel struct.</exception>
    /// <exception cref="KvmException">KVM refused a part (ENXIO: the VM lacks the irqchip or PIT the state has).</exception>
    public void ApplyTo(KvmVm vm) => ApplyTo(vm, countTimeAway: false);

    /// <summary>
    /// Like <see cref="ApplyTo(KvmVm)"/>; with <paramref name="countTimeAway"/>, the guest's clock also moves on by the
    /// host time that passed since the capture (<c>KVM_CLOCK_REALTIME</c>), where the captured clock has a realtime
    /// stamp and this host's KVM takes one (<c>KVM_CAP_ADJUST_CLOCK</c>); elsewhere it goes on from where it stopped.
    /// </summary>
    public void ApplyTo(KvmVm vm, bool countTimeAway)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (Pit is not null)
        {
            vm.SetPit2(RawStruct.FromBytes<KvmPitState2>(Pit, nameof(Pit)));
        }

        // KVM_SET_CLOCK takes no flag but KVM_CLOCK_REALTIME (kernels before 5.16 not even that): TSC_STABLE and
        // HOST_TSC only describe a GET.
        bool realtime = countTimeAway && (ClockFlags & KvmClockData.FlagRealtime) != 0
            && (vm.CheckExtension(KvmCap.AdjustClock) & KvmClockData.FlagRealtime) != 0;
        vm.SetClock(new KvmClockData
        {
            Clock = ClockNanoseconds,
            Flags = realtime ? KvmClockData.FlagRealtime : 0,
            Realtime = realtime ? RealtimeNanoseconds : 0,
        });

        SetChip(vm, KvmIrqchip.PicMaster, PicMaster, nameof(PicMaster));
        SetChip(vm, KvmIrqchip.PicSlave, PicSlave, nameof(PicSlave));
        SetChip(vm, KvmIrqchip.Ioapic, Ioapic, nameof(Ioapic));
    }

    private static void SetChip(KvmVm vm, KvmIrqchip chip, byte[]? bytes, string field)
    {
        if (bytes is null)
        {
            return;
        }

        KvmIrqchipState state = RawStruct.FromBytes<KvmIrqchipState>(bytes, field);
        if (state.ChipId != (uint)chip)
        {
            throw new InvalidDataException($"{field} holds the state of chip {state.ChipId}, not of the {chip} ({(uint)chip})");
        }

        vm.SetIrqchip(state);
    }
}
