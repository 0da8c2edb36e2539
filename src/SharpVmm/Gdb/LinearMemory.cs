using SharpVmm.Kvm;
using SharpVmm.Memory;

namespace SharpVmm.Gdb;

/// <summary>
/// Guest memory by linear address, as a stopped vCPU sees it: through its page tables (<c>KVM_TRANSLATE</c>) while
/// paging is on, else physical below 4 GiB, and for a breakpoint's sake also through an ELF kernel's segments.
/// </summary>
internal sealed class LinearMemory
{
    private const ulong Cr0Paging = 1UL << 31;

    private readonly VirtualMachine _vm;
    private readonly IReadOnlyList<Platform.KernelSegment> _kernelSegments;

    public LinearMemory(VirtualMachine vm, IReadOnlyList<Platform.KernelSegment> kernelSegments)
    {
        _vm = vm;
        _kernelSegments = kernelSegments;
    }

    /// <summary>
    /// Reads guest memory at linear address <paramref name="address"/>, translated page by page as
    /// <see cref="Translate"/> does for vCPU <paramref name="vcpu"/>. Returns the bytes read
    /// before the first unmapped page or the end of guest memory.
    /// </summary>
    public int Read(int vcpu, ulong address, Span<byte> into)
    {
        int done = 0;
        while (done < into.Length && NextPiece(vcpu, address + (ulong)done, into.Length - done) is (GuestAddress physical, int count))
        {
            _vm.Memory.GetSpan(physical, count).CopyTo(into.Slice(done, count));
            done += count;
        }

        return done;
    }

    /// <summary>Writes guest memory at a linear address, as <see cref="Read"/> reads it; returns the bytes written.</summary>
    public int Write(int vcpu, ulong address, ReadOnlySpan<byte> data)
    {
        int done = 0;
        while (done < data.Length && NextPiece(vcpu, address + (ulong)done, data.Length - done) is (GuestAddress physical, int count))
        {
            data.Slice(done, count).CopyTo(_vm.Memory.GetSpan(physical, count));
            done += count;
        }

        return done;
    }

    /// <summary>Where an ELF kernel's segments put <paramref name="linear"/>, or null outside them.</summary>
    public GuestAddress? KernelSegmentAddress(ulong linear)
    {
        foreach (Platform.KernelSegment segment in _kernelSegments)
        {
            if (segment.Physical(linear) is { } physical)
            {
                return physical;
            }
        }

        return null;
    }

    /// <summary>
    /// The guest-physical address of <paramref name="linear"/> for vCPU <paramref name="vcpu"/>, or null when unmapped:
    /// through its page tables while paging is on; otherwise the address itself, and one above 4 GiB (a kernel's
    /// virtual address before it turns paging on) is not mapped yet.
    /// </summary>
    public GuestAddress? Translate(int vcpu, ulong linear)
    {
        KvmVcpu kvm = _vm.Vcpus[vcpu].Kvm;
        if ((kvm.GetSregs().Cr0 & Cr0Paging) == 0)
        {
            return linear <= 0xFFFF_FFFF ? new GuestAddress(linear) : null;
        }

        return kvm.Translate(linear) is { } physical ? new GuestAddress(physical) : null;
    }

    // The guest-physical address of linear and how many bytes from there lie in the same page (at most left); null when
    // the page is unmapped or outside guest memory.
    private (GuestAddress Physical, int Count)? NextPiece(int vcpu, ulong linear, int left)
    {
        int count = (int)Math.Min((ulong)left, 0x1000 - (linear & 0xFFF));
        return Translate(vcpu, linear) is { } physical && _vm.Memory.Contains(physical, (ulong)count) ? (physical, count) : null;
    }
}
