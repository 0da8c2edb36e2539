using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Snapshot;

/// <summary>
/// Everything KVM holds for one vCPU, as plain data a snapshot serializes: the raw <c>&lt;linux/kvm.h&gt;</c> structs
/// as their bytes, the MSRs as index/value pairs. <see cref="Capture"/> reads it from a vCPU that is off
/// <c>KVM_RUN</c> (a paused VM: <see cref="VirtualMachine.Pause"/> also completes an I/O or MMIO exit the vCPU was in,
/// which KVM finishes only on the next <c>KVM_RUN</c>); <see cref="ApplyTo"/> writes it into a new vCPU, before its
/// first run, on a host with the same CPU features.
/// </summary>
public sealed class VcpuState
{
    // MSR_IA32_TSC_DEADLINE: KVM ignores it unless the LAPIC timer is in TSC-deadline mode, and KVM_SET_LAPIC clears it.
    private const uint TscDeadlineMsr = 0x6E0;

    // KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR: KVM_GET_VCPU_EVENTS fills both fields but does
    // not set these flags, and KVM_SET_VCPU_EVENTS ignores the fields without them.
    private const uint EventsValidNmiAndSipi = 0x1 | 0x2;

    // The TSC frequencies of two hosts of one model differ by their calibration; within 250 ppm needs no scaling.
    private const double TscTolerance = 250e-6;

    /// <summary>The vCPU's id (its initial APIC ID).</summary>
    public int Id { get; set; }

    /// <summary><c>struct kvm_regs</c>.</summary>
    public byte[] Regs { get; set; } = [];

    /// <summary><c>struct kvm_sregs</c>.</summary>
    public byte[] Sregs { get; set; } = [];

    /// <summary><c>struct kvm_fpu</c>, saved only on a host without XSAVE (where <see cref="Xsave"/> is null).</summary>
    public byte[]? Fpu { get; set; }

    /// <summary>The XSAVE area (<c>struct kvm_xsave</c>, or <see cref="XsaveSize"/> bytes of <c>KVM_GET_XSAVE2</c>).</summary>
    public byte[]? Xsave { get; set; }

    /// <summary>The length of <see cref="Xsave"/>: 4096, or <c>KVM_CAP_XSAVE2</c>'s larger size; 0 without it.</summary>
    public uint XsaveSize { get; set; }

    /// <summary><c>struct kvm_xcrs</c>; null where the host lacks <c>KVM_CAP_XCRS</c>.</summary>
    public byte[]? Xcrs { get; set; }

    /// <summary><c>struct kvm_debugregs</c>; null where the host lacks <c>KVM_CAP_DEBUGREGS</c>.</summary>
    public byte[]? Debugregs { get; set; }

    /// <summary><c>struct kvm_lapic_state</c>; null when the VM has no in-kernel irqchip.</summary>
    public byte[]? Lapic { get; set; }

    /// <summary><c>struct kvm_vcpu_events</c>: pending and injected exceptions, interrupts, NMIs, SMIs.</summary>
    public byte[] VcpuEvents { get; set; } = [];

    /// <summary>The <c>KVM_MP_STATE_*</c> value (<see cref="KvmMpState"/>).</summary>
    public uint MpState { get; set; }

    /// <summary>The MSRs of <see cref="SnapshotMsrs"/>, in that order.</summary>
    public List<MsrValue> Msrs { get; set; } = [];

    /// <summary>The vCPU's CPUID: its <c>struct kvm_cpuid_entry2</c> array; empty when none was ever set.</summary>
    public byte[] Cpuid { get; set; } = [];

    /// <summary>The guest's TSC frequency in kHz; null where the host lacks <c>KVM_CAP_GET_TSC_KHZ</c>.</summary>
    public uint? TscKhz { get; set; }

    /// <summary>
    /// Reads the state of <paramref name="vcpu"/>, which must be off <c>KVM_RUN</c>, with the MSRs
    /// <paramref name="msrIndices"/> (<see cref="SnapshotMsrs.Indices"/>).
    /// </summary>
    /// <exception cref="KvmException">A KVM_GET_* ioctl failed, or an MSR of the list could not be read.</exception>
    public static VcpuState Capture(KvmVcpu vcpu, IReadOnlyList<uint> msrIndices)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        ArgumentNullException.ThrowIfNull(msrIndices);

        // KVM_GET_MP_STATE comes first: it makes the LAPIC take a pending INIT or SIPI (kvm_apic_accept_events), which
        // changes the registers and the LAPIC that the later calls read.
        var state = new VcpuState { Id = vcpu.Id, MpState = vcpu.GetMpState() };
        state.Regs = RawStruct.ToBytes(vcpu.GetRegs());
        state.Sregs = RawStruct.ToBytes(vcpu.GetSregs());
        if (vcpu.XsaveSize > 0)
        {
            state.Xsave = vcpu.GetXsave();
            state.XsaveSize = (uint)state.Xsave.Length;
        }
        else
        {
            state.Fpu = RawStruct.ToBytes(vcpu.GetFpu());
        }

        if (vcpu.CheckExtension(KvmCap.Xcrs) > 0)
        {
            state.Xcrs = RawStruct.ToBytes(vcpu.GetXcrs());
        }

        if (vcpu.CheckExtension(KvmCap.Debugregs) > 0)
        {
            state.Debugregs = RawStruct.ToBytes(vcpu.GetDebugregs());
        }

        if (vcpu.HasLapic)
        {
            state.Lapic = RawStruct.ToBytes(vcpu.GetLapic());
        }

        if (vcpu.CheckExtension(KvmCap.GetTscKhz) > 0)
        {
            state.TscKhz = vcpu.GetTscKhz();
        }

        var msrs = new KvmMsrEntry[msrIndices.Count];
        for (int i = 0; i < msrs.Length; i++)
        {
            msrs[i] = new KvmMsrEntry(msrIndices[i], 0);
        }

        vcpu.GetMsrs(msrs);
        state.Msrs = [.. Array.ConvertAll(msrs, m => new MsrValue(m.Index, m.Data))];
        state.Cpuid = RawStruct.ToBytes<KvmCpuidEntry2>(vcpu.GetCpuid());

        // The events come last: the GETs before may move internal state into them.
        KvmVcpuEvents events = vcpu.GetVcpuEvents();
        events.Flags |= EventsValidNmiAndSipi;
        state.VcpuEvents = RawStruct.ToBytes(events);
        return state;
    }

    /// <summary>
    /// Writes this state into <paramref name="vcpu"/>, a vCPU that has not run, of a VM whose memory and VM-wide state
    /// (<see cref="VmKvmState.ApplyTo(KvmVm)"/>) are already restored. The order: TSC frequency, CPUID, MSRs, regs,
    /// sregs, XSAVE (or FPU), XCRs, debug registers, LAPIC, the TSC deadline MSR, MP state, events.
    /// </summary>
    /// <exception cref="InvalidDataException">A field does not hold its kernel struct.</exception>
    /// <exception cref="KvmException">KVM refused a part (a TSC frequency it cannot scale to, an MSR, a CPUID it does not support).</exception>
    public void ApplyTo(KvmVcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(vcpu);

        // 1. The TSC frequency, before the TSC MSR is written (KVM scales it by the frequency).
        if (TscKhz is uint khz && DiffersFromVcpuTsc(vcpu, khz))
        {
            vcpu.SetTscKhz(khz);
        }

        // 2. CPUID: it decides which MSRs, XCR0 bits and CR4 bits KVM accepts below.
        KvmCpuidEntry2[] cpuid = RawStruct.ArrayFromBytes<KvmCpuidEntry2>(Cpuid, nameof(Cpuid));
        if (cpuid.Length > 0)
        {
            vcpu.SetCpuid(cpuid);
        }

        // 3. The MSRs, but for the TSC deadline, which needs the LAPIC (step 10).
        List<KvmMsrEntry> deadline = [];
        List<KvmMsrEntry> msrs = [];
        foreach (MsrValue msr in Msrs)
        {
            (msr.Index == TscDeadlineMsr ? deadline : msrs).Add(new KvmMsrEntry(msr.Index, msr.Value));
        }

        SetMsrsKvmTakes(vcpu, [.. msrs]);

        // 4-5. The registers: KVM_SET_REGS drops a pending exception (the events restore it, last), KVM_SET_SREGS sets
        // the control registers, EFER and the APIC base.
        vcpu.SetRegs(RawStruct.FromBytes<KvmRegs>(Regs, nameof(Regs)));
        vcpu.SetSregs(RawStruct.FromBytes<KvmSregs>(Sregs, nameof(Sregs)));

        // 6-8. The extended state, then XCR0 (allowed by the CPUID), then the debug registers.
        if (Xsave is not null)
        {
            if (XsaveSize != Xsave.Length)
            {
                throw new InvalidDataException($"{nameof(Xsave)} holds {Xsave.Length} bytes, {nameof(XsaveSize)} says {XsaveSize}");
            }

            vcpu.SetXsave(Xsave);
        }
        else if (Fpu is not null)
        {
            vcpu.SetFpu(RawStruct.FromBytes<KvmFpu>(Fpu, nameof(Fpu)));
        }

        if (Xcrs is not null)
        {
            vcpu.SetXcrs(RawStruct.FromBytes<KvmXcrs>(Xcrs, nameof(Xcrs)));
        }

        if (Debugregs is not null)
        {
            vcpu.SetDebugregs(RawStruct.FromBytes<KvmDebugregs>(Debugregs, nameof(Debugregs)));
        }

        // 9-10. The LAPIC after the sregs, whose APIC base (enabled, x2APIC) it is loaded under; then the TSC deadline.
        if (Lapic is not null)
        {
            vcpu.SetLapic(RawStruct.FromBytes<KvmLapicState>(Lapic, nameof(Lapic)));
        }

        vcpu.SetMsrs([.. deadline]);

        // 11-12. The MP state after KVM_SET_SREGS (which makes a BSP at the reset vector runnable) and the LAPIC; the
        // events last (a latched INIT needs the MP state, and nothing after them may drop what they restore).
        vcpu.SetMpState(MpState);
        vcpu.SetVcpuEvents(RawStruct.FromBytes<KvmVcpuEvents>(VcpuEvents, nameof(VcpuEvents)));
    }

    private static bool DiffersFromVcpuTsc(KvmVcpu vcpu, uint khz)
    {
        if (vcpu.CheckExtension(KvmCap.GetTscKhz) <= 0)
        {
            return vcpu.CheckExtension(KvmCap.TscControl) > 0; // cannot compare: set it where KVM can scale
        }

        long difference = Math.Abs((long)vcpu.GetTscKhz() - khz);
        return difference > Math.Round(khz * TscTolerance);
    }

    // KVM refuses a write to an MSR the vCPU's CPUID does not enable (a paravirtual MSR of a guest without KVM's CPUID
    // leaves, say), though it reads it. Such an MSR is skipped when the new vCPU already holds the saved value (the guest
    // could not have changed it); one that differs is an error.
    private static void SetMsrsKvmTakes(KvmVcpu vcpu, KvmMsrEntry[] msrs)
    {
        for (int start = 0; start < msrs.Length;)
        {
            start += vcpu.SetMsrsUntilRefused(msrs.AsSpan(start));
            if (start == msrs.Length)
            {
                return;
            }

            Span<KvmMsrEntry> current = [new KvmMsrEntry(msrs[start].Index, 0)];
            if (vcpu.GetMsrsUntilRefused(current) != 1 || current[0].Data != msrs[start].Data)
            {
                throw new KvmException("KVM_SET_MSRS", 0, FormattableString.Invariant(
                    $"KVM_SET_MSRS refused MSR 0x{msrs[start].Index:x} = 0x{msrs[start].Data:x}, and the new vCPU holds another value"));
            }

            start++;
        }
    }
}
