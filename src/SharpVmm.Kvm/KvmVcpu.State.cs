using SharpVmm.Kvm.Structs;
using SharpVmm.Sys;

namespace SharpVmm.Kvm;

// The vCPU state ioctls a snapshot saves and restores, beyond the registers an exit handler needs.
public sealed unsafe partial class KvmVcpu
{
    /// <summary>The most MSRs one <c>KVM_GET_MSRS</c>/<c>KVM_SET_MSRS</c> call moves (below the kernel's MAX_IO_MSRS, 256).</summary>
    public const int MaxMsrsPerCall = 255;

    /// <summary>
    /// The bytes <c>KVM_GET_XSAVE2</c> and <c>KVM_SET_XSAVE</c> move for this vCPU: <c>KVM_CAP_XSAVE2</c> on its VM, at
    /// least <see cref="KvmXsave.Size"/> (more only when a dynamic feature such as AMX was enabled with
    /// <c>arch_prctl</c> before the VM was made); 0 when the host has no XSAVE (<c>KVM_CAP_XSAVE</c>), where the
    /// x87/SSE state goes through <see cref="GetFpu"/> instead.
    /// </summary>
    public int XsaveSize { get; internal init; }

    /// <summary>Whether the vCPU has KVM's local APIC (its VM made the in-kernel irqchip before it): <c>KVM_GET_LAPIC</c> and
    /// the MP states other than runnable need it.</summary>
    public bool HasLapic => Vm?.HasIrqchip == true;

    internal KvmVm? Vm { get; init; }

    /// <summary>The <c>KVM_CHECK_EXTENSION</c> value for <paramref name="cap"/> on this vCPU's VM (0 when absent).</summary>
    public int CheckExtension(KvmCap cap) => Vm?.CheckExtension(cap) ?? 0;

    /// <summary>
    /// Reads the XSAVE area: <c>KVM_GET_XSAVE</c> with the fixed 4 KiB <c>struct kvm_xsave</c>, or
    /// <c>KVM_GET_XSAVE2</c> with <see cref="XsaveSize"/> bytes when that is larger.
    /// </summary>
    public byte[] GetXsave()
    {
        bool extended = XsaveSize > KvmXsave.Size;
        var area = new byte[extended ? XsaveSize : KvmXsave.Size];
        // SAFETY: fixed pins the array for the synchronous ioctl, which writes at most area.Length bytes:
        // sizeof(kvm_xsave) for KVM_GET_XSAVE, KVM_CAP_XSAVE2's size (XsaveSize) for KVM_GET_XSAVE2.
        fixed (byte* p = area)
        {
            if (extended)
            {
                KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.GetXsave2, p), "KVM_GET_XSAVE2");
            }
            else
            {
                KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.GetXsave, p), "KVM_GET_XSAVE");
            }
        }

        return area;
    }

    /// <summary>
    /// Writes the XSAVE area (<c>KVM_SET_XSAVE</c>). KVM reads <see cref="XsaveSize"/> bytes, so a shorter area (one
    /// saved on a host without dynamic features) is zero-padded: the XSTATE_BV bits of the missing components are 0,
    /// and they start in their initial state.
    /// </summary>
    /// <exception cref="ArgumentException">The area is shorter than <c>struct kvm_xsave</c>.</exception>
    public void SetXsave(ReadOnlySpan<byte> area)
    {
        if (area.Length < KvmXsave.Size)
        {
            throw new ArgumentException($"an XSAVE area has at least {KvmXsave.Size} bytes, not {area.Length}", nameof(area));
        }

        var buffer = new byte[Math.Max(area.Length, XsaveSize)];
        area.CopyTo(buffer);
        // SAFETY: fixed pins the buffer for the synchronous ioctl, which reads at most XsaveSize bytes (KVM's uabi size).
        fixed (byte* p = buffer)
        {
            KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetXsave, p), "KVM_SET_XSAVE");
        }
    }

    /// <summary><c>KVM_GET_XCRS</c> (<c>KVM_CAP_XCRS</c>): XCR0.</summary>
    public KvmXcrs GetXcrs() => Get<KvmXcrs>(KvmIoctl.GetXcrs, "KVM_GET_XCRS");

    /// <summary><c>KVM_SET_XCRS</c> (<c>KVM_CAP_XCRS</c>); after <c>KVM_SET_CPUID2</c>, which decides the XCR0 bits KVM accepts.</summary>
    public void SetXcrs(in KvmXcrs xcrs) => Set(KvmIoctl.SetXcrs, xcrs, "KVM_SET_XCRS");

    /// <summary><c>KVM_GET_DEBUGREGS</c> (<c>KVM_CAP_DEBUGREGS</c>): DR0-DR3, DR6, DR7.</summary>
    public KvmDebugregs GetDebugregs() => Get<KvmDebugregs>(KvmIoctl.GetDebugregs, "KVM_GET_DEBUGREGS");

    /// <summary><c>KVM_SET_DEBUGREGS</c> (<c>KVM_CAP_DEBUGREGS</c>); <see cref="KvmDebugregs.Flags"/> must be 0.</summary>
    public void SetDebugregs(in KvmDebugregs debugregs) => Set(KvmIoctl.SetDebugregs, debugregs, "KVM_SET_DEBUGREGS");

    /// <summary>
    /// The CPUID leaves set on this vCPU (<c>KVM_GET_CPUID2</c>): what <see cref="SetCpuid"/> was given, none before
    /// the first call.
    /// </summary>
    public KvmCpuidEntry2[] GetCpuid() => KvmIoctlTransfer.ReadCpuid(_fd.Fd, KvmIoctl.GetCpuid2, "KVM_GET_CPUID2");

    /// <summary>The guest's TSC frequency in kHz (<c>KVM_GET_TSC_KHZ</c>, <c>KVM_CAP_GET_TSC_KHZ</c>).</summary>
    public uint GetTscKhz() => (uint)KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.GetTscKhz, 0), "KVM_GET_TSC_KHZ");

    /// <summary>
    /// Sets the guest's TSC frequency (<c>KVM_SET_TSC_KHZ</c>). A frequency other than the host's needs TSC scaling
    /// (<c>KVM_CAP_TSC_CONTROL</c>); without it KVM accepts only the host's own.
    /// </summary>
    public void SetTscKhz(uint khz) => KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetTscKhz, (nint)khz), "KVM_SET_TSC_KHZ");

    /// <summary>
    /// Reads model-specific registers (<c>KVM_GET_MSRS</c>) until KVM refuses one: fills the
    /// <see cref="KvmMsrEntry.Data"/> of the entries it read and returns their number, so that
    /// <c>entries[result]</c>, when there is one, is the first MSR this vCPU cannot read.
    /// </summary>
    public int GetMsrsUntilRefused(Span<KvmMsrEntry> entries) => TransferMsrsUntilRefused(KvmIoctl.GetMsrs, "KVM_GET_MSRS", entries, entries);

    /// <summary>Writes model-specific registers (<c>KVM_SET_MSRS</c>) up to the first KVM refuses; returns how many it took.</summary>
    public int SetMsrsUntilRefused(ReadOnlySpan<KvmMsrEntry> entries) => TransferMsrsUntilRefused(KvmIoctl.SetMsrs, "KVM_SET_MSRS", entries, null);
}
