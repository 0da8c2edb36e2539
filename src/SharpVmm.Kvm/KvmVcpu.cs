using System.Runtime.InteropServices;
using SharpVmm.Kvm.Structs;
using SharpVmm.Sys;

namespace SharpVmm.Kvm;

/// <summary>A KVM vCPU file descriptor and its mmapped <c>kvm_run</c> area.</summary>
public sealed unsafe partial class KvmVcpu : IKvmVcpuState, IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly int _runSize;
    private nint _run;

    internal KvmVcpu(FileDescriptor fd, int id, int runSize)
    {
        _fd = fd;
        Id = id;
        _runSize = runSize;
        _run = Mman.Mmap(0, (nuint)runSize, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED, fd.Fd, 0);
        if (_run == Mman.MAP_FAILED)
        {
            throw KvmException.FromLastError("mmap(kvm_run)");
        }
    }

    /// <summary>The vCPU id given to <c>KVM_CREATE_VCPU</c> (the initial APIC ID).</summary>
    public int Id { get; }

    /// <summary>The vCPU's file descriptor, for code that makes its system calls itself.</summary>
    internal int FdNumber => _fd.Fd;

    /// <summary>Where the kvm_run area is mapped, for code that reads it itself.</summary>
    internal nint RunAddress => _run;

    /// <summary>The whole mmapped area: kvm_run followed by the PIO data page.</summary>
    // SAFETY: _run maps _runSize bytes until Dispose, which only runs after the vCPU thread has stopped.
    public Span<byte> RunArea => new((void*)_run, _runSize);

    /// <summary>The shared <c>kvm_run</c> structure.</summary>
    // SAFETY: the mapping is at least KvmRun.Size bytes (checked against KVM_GET_VCPU_MMAP_SIZE).
    public ref KvmRun RunData => ref *(KvmRun*)_run;

    /// <summary>A view of the last exit; valid until the next <see cref="Run"/>.</summary>
    public VcpuExit Exit => new(RunArea);

    /// <summary>
    /// Enters the guest until the next exit (<c>KVM_RUN</c>).
    /// </summary>
    /// <returns><c>true</c> when the guest exited (see <see cref="Exit"/>); <c>false</c> when the call was interrupted
    /// by a signal or <c>immediate_exit</c> (EINTR/EAGAIN), which is a kick, not an error.</returns>
    public bool Run()
    {
        if (Libc.Ioctl(_fd.Fd, KvmIoctl.Run, 0) == 0)
        {
            return true;
        }

        int errno = Errno.Last();
        return errno is Errno.EINTR or Errno.EAGAIN ? false : throw new KvmException("KVM_RUN", errno);
    }

    /// <summary>Sets or clears <c>kvm_run.immediate_exit</c>.</summary>
    public void SetImmediateExit(bool value) => Volatile.Write(ref RunData.ImmediateExit, value ? (byte)1 : (byte)0);

    /// <summary><c>KVM_GET_REGS</c>.</summary>
    public KvmRegs GetRegs() => Get<KvmRegs>(KvmIoctl.GetRegs, "KVM_GET_REGS");

    /// <summary><c>KVM_SET_REGS</c>.</summary>
    public void SetRegs(in KvmRegs regs) => Set(KvmIoctl.SetRegs, regs, "KVM_SET_REGS");

    /// <summary><c>KVM_GET_SREGS</c>.</summary>
    public KvmSregs GetSregs() => Get<KvmSregs>(KvmIoctl.GetSregs, "KVM_GET_SREGS");

    /// <summary><c>KVM_SET_SREGS</c>.</summary>
    public void SetSregs(in KvmSregs sregs) => Set(KvmIoctl.SetSregs, sregs, "KVM_SET_SREGS");

    /// <summary><c>KVM_GET_FPU</c>.</summary>
    public KvmFpu GetFpu() => Get<KvmFpu>(KvmIoctl.GetFpu, "KVM_GET_FPU");

    /// <summary><c>KVM_SET_FPU</c>.</summary>
    public void SetFpu(in KvmFpu fpu) => Set(KvmIoctl.SetFpu, fpu, "KVM_SET_FPU");

    /// <summary><c>KVM_GET_VCPU_EVENTS</c>.</summary>
    public KvmVcpuEvents GetVcpuEvents() => Get<KvmVcpuEvents>(KvmIoctl.GetVcpuEvents, "KVM_GET_VCPU_EVENTS");

    /// <summary><c>KVM_SET_VCPU_EVENTS</c>.</summary>
    public void SetVcpuEvents(in KvmVcpuEvents events) => Set(KvmIoctl.SetVcpuEvents, events, "KVM_SET_VCPU_EVENTS");

    /// <summary><c>KVM_GET_LAPIC</c>.</summary>
    public KvmLapicState GetLapic() => Get<KvmLapicState>(KvmIoctl.GetLapic, "KVM_GET_LAPIC");

    /// <summary><c>KVM_SET_LAPIC</c>.</summary>
    public void SetLapic(in KvmLapicState lapic) => Set(KvmIoctl.SetLapic, lapic, "KVM_SET_LAPIC");

    /// <summary><c>KVM_GET_MP_STATE</c> (needs the in-kernel irqchip): one of the <see cref="KvmMpState"/> values.</summary>
    public uint GetMpState() => Get<KvmMpState>(KvmIoctl.GetMpState, "KVM_GET_MP_STATE").State;

    /// <summary><c>KVM_SET_MP_STATE</c> (needs the in-kernel irqchip).</summary>
    public void SetMpState(uint state) => Set(KvmIoctl.SetMpState, new KvmMpState { State = state }, "KVM_SET_MP_STATE");

    /// <summary><c>KVM_SET_GUEST_DEBUG</c>.</summary>
    public void SetGuestDebug(in KvmGuestDebug debug) => Set(KvmIoctl.SetGuestDebug, debug, "KVM_SET_GUEST_DEBUG");

    /// <summary>Translates a guest linear address with the vCPU's current paging state (<c>KVM_TRANSLATE</c>).</summary>
    /// <returns>The guest-physical address, or <c>null</c> when the address is not mapped.</returns>
    public ulong? Translate(ulong linearAddress)
    {
        var translation = new KvmTranslation { LinearAddress = linearAddress };
        // SAFETY: translation is a local that outlives the synchronous ioctl, which reads and writes only it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.Translate, &translation), "KVM_TRANSLATE");
        return translation.Valid != 0 ? translation.PhysicalAddress : null;
    }

    /// <summary>Sets the CPUID leaves the guest sees (<c>KVM_SET_CPUID2</c>).</summary>
    public void SetCpuid(ReadOnlySpan<KvmCpuidEntry2> entries)
    {
        int bytes = sizeof(KvmCpuid2) + entries.Length * sizeof(KvmCpuidEntry2);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            ((KvmCpuid2*)buffer)->Nent = (uint)entries.Length;
            // SAFETY: the buffer holds the header plus entries.Length entries.
            entries.CopyTo(new Span<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2), entries.Length));
            KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetCpuid2, buffer), "KVM_SET_CPUID2");
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>Writes model-specific registers (<c>KVM_SET_MSRS</c>); throws unless KVM accepted all of them.</summary>
    public void SetMsrs(ReadOnlySpan<KvmMsrEntry> entries) => TransferMsrs(KvmIoctl.SetMsrs, "KVM_SET_MSRS", entries, null);

    /// <summary>Reads model-specific registers (<c>KVM_GET_MSRS</c>): fills each entry's <see cref="KvmMsrEntry.Data"/>.</summary>
    public void GetMsrs(Span<KvmMsrEntry> entries) => TransferMsrs(KvmIoctl.GetMsrs, "KVM_GET_MSRS", entries, entries);

    private void TransferMsrs(uint request, string name, ReadOnlySpan<KvmMsrEntry> entries, Span<KvmMsrEntry> results)
    {
        int done = TransferMsrsUntilRefused(request, name, entries, results);
        if (done != entries.Length)
        {
            throw new KvmException(name, 0, $"{name} handled {done} of {entries.Length} MSRs; MSR 0x{entries[done].Index:x} was refused");
        }
    }

    // KVM moves fewer than MAX_IO_MSRS (256) entries per call (E2BIG otherwise), so longer lists go in chunks. Returns how
    // many entries, from the first, KVM handled: it stops at the first MSR it refuses.
    private int TransferMsrsUntilRefused(uint request, string name, ReadOnlySpan<KvmMsrEntry> entries, Span<KvmMsrEntry> results)
    {
        int total = 0;
        while (total < entries.Length)
        {
            ReadOnlySpan<KvmMsrEntry> chunk = entries.Slice(total, Math.Min(MaxMsrsPerCall, entries.Length - total));
            int done = TransferMsrChunk(request, name, chunk, results.IsEmpty ? results : results.Slice(total, chunk.Length));
            total += done;
            if (done != chunk.Length)
            {
                break;
            }
        }

        return total;
    }

    private int TransferMsrChunk(uint request, string name, ReadOnlySpan<KvmMsrEntry> entries, Span<KvmMsrEntry> results)
    {
        int bytes = sizeof(KvmMsrs) + entries.Length * sizeof(KvmMsrEntry);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            ((KvmMsrs*)buffer)->Nmsrs = (uint)entries.Length;
            // SAFETY: the buffer holds the header plus entries.Length entries.
            var body = new Span<KvmMsrEntry>(buffer + sizeof(KvmMsrs), entries.Length);
            entries.CopyTo(body);
            int done = KvmSystem.Checked(Libc.Ioctl(_fd.Fd, request, buffer), name);
            if (!results.IsEmpty)
            {
                body[..done].CopyTo(results); // KVM_GET_MSRS only: a write has nothing to hand back
            }

            return done;
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    private T Get<T>(uint request, string name) where T : unmanaged => KvmIoctlTransfer.Read<T>(_fd.Fd, request, name);

    private void Set<T>(uint request, in T value, string name) where T : unmanaged => KvmIoctlTransfer.Write(_fd.Fd, request, value, name);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_run != 0)
        {
            _ = Mman.Munmap(_run, (nuint)_runSize);
            _run = 0;
        }

        _fd.Dispose();
    }
}
