using SharpVmm.Kvm.Structs;

namespace SharpVmm.Kvm;

// The VM-wide state ioctls a snapshot saves and restores: the in-kernel irqchip and PIT, kvmclock, dirty pages.
public sealed unsafe partial class KvmVm
{
    /// <summary>Whether <see cref="CreateIrqchip"/> made the in-kernel PICs, IOAPIC and local APICs.</summary>
    public bool HasIrqchip { get; private set; }

    /// <summary>Whether <see cref="CreatePit2"/> made the in-kernel i8254.</summary>
    public bool HasPit { get; private set; }

    /// <summary>
    /// Reads one in-kernel interrupt controller (<c>KVM_GET_IRQCHIP</c>): a PIC's <c>struct kvm_pic_state</c> or the
    /// IOAPIC's <c>struct kvm_ioapic_state</c>, in <see cref="KvmIrqchipState.Chip"/>.
    /// </summary>
    /// <exception cref="KvmException">KVM refused (ENXIO: the VM has no in-kernel irqchip).</exception>
    public KvmIrqchipState GetIrqchip(KvmIrqchip chip)
    {
        var state = new KvmIrqchipState { ChipId = (uint)chip };
        KvmIoctlTransfer.Exchange(_fd.Fd, KvmIoctl.GetIrqchip, ref state, $"KVM_GET_IRQCHIP({chip})");
        return state;
    }

    /// <summary>Writes the controller <see cref="KvmIrqchipState.ChipId"/> names (<c>KVM_SET_IRQCHIP</c>).</summary>
    /// <exception cref="KvmException">KVM refused (ENXIO: no in-kernel irqchip; EINVAL: a bad chip id).</exception>
    public void SetIrqchip(in KvmIrqchipState state) =>
        KvmIoctlTransfer.Write(_fd.Fd, KvmIoctl.SetIrqchip, state, $"KVM_SET_IRQCHIP({(KvmIrqchip)state.ChipId})");

    /// <summary>Reads the in-kernel i8254 (<c>KVM_GET_PIT2</c>, <c>KVM_CAP_PIT_STATE2</c>).</summary>
    /// <exception cref="KvmException">KVM refused (ENXIO: the VM has no in-kernel PIT).</exception>
    public KvmPitState2 GetPit2() => KvmIoctlTransfer.Read<KvmPitState2>(_fd.Fd, KvmIoctl.GetPit2, "KVM_GET_PIT2");

    /// <summary>Writes the in-kernel i8254 (<c>KVM_SET_PIT2</c>); each counter restarts from its count at once.</summary>
    /// <exception cref="KvmException">KVM refused (ENXIO: the VM has no in-kernel PIT).</exception>
    public void SetPit2(in KvmPitState2 state) => KvmIoctlTransfer.Write(_fd.Fd, KvmIoctl.SetPit2, state, "KVM_SET_PIT2");

    /// <summary>Reads kvmclock, the guest's nanosecond clock (<c>KVM_GET_CLOCK</c>, <c>KVM_CAP_ADJUST_CLOCK</c>).</summary>
    public KvmClockData GetClock() => KvmIoctlTransfer.Read<KvmClockData>(_fd.Fd, KvmIoctl.GetClock, "KVM_GET_CLOCK");

    /// <summary>
    /// Sets kvmclock (<c>KVM_SET_CLOCK</c>). Only <see cref="KvmClockData.FlagRealtime"/> means anything here (and only
    /// where <c>KVM_CAP_ADJUST_CLOCK</c> reports it); kernels before 5.16 refuse any flag.
    /// </summary>
    public void SetClock(in KvmClockData clock) => KvmIoctlTransfer.Write(_fd.Fd, KvmIoctl.SetClock, clock, "KVM_SET_CLOCK");

    /// <summary>
    /// Copies the dirty-page log of memory slot <paramref name="slot"/> into <paramref name="bitmap"/> and clears it
    /// (<c>KVM_GET_DIRTY_LOG</c>): bit <c>n</c> of the bitmap is set when the guest wrote page <c>n</c> of the slot
    /// since the slot was made or the last call. The slot must log dirty pages (<c>KVM_MEM_LOG_DIRTY_PAGES</c>).
    /// Writes by the host (through the slot's mapping) are not logged.
    /// </summary>
    /// <param name="slot">The slot, as given to <see cref="SetUserMemoryRegion"/>.</param>
    /// <param name="bitmap">One bit per 4 KiB page of the slot, rounded up to whole words: KVM writes them all.</param>
    /// <exception cref="KvmException">KVM refused (ENOENT: the slot does not log dirty pages or does not exist).</exception>
    public void GetDirtyLog(uint slot, Span<ulong> bitmap)
    {
        // SAFETY: fixed pins the bitmap for the synchronous ioctl, which writes one bit per page of the slot, rounded up
        // to 64-bit words; the caller sized it so (documented above).
        fixed (ulong* bits = bitmap)
        {
            var log = new KvmDirtyLog { Slot = slot, DirtyBitmap = (ulong)bits };
            KvmIoctlTransfer.Write(_fd.Fd, KvmIoctl.GetDirtyLog, log, "KVM_GET_DIRTY_LOG");
        }
    }

    // The bytes KVM_GET_XSAVE2/KVM_SET_XSAVE move per vCPU; 0 without XSAVE.
    private int XsaveSize() =>
        CheckExtension(KvmCap.Xsave) > 0 ? Math.Max(KvmXsave.Size, CheckExtension(KvmCap.Xsave2)) : 0;
}
