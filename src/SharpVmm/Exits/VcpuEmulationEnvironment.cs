using SharpVmm.Kvm;
using SharpVmm.Memory;

namespace SharpVmm.Exits;

/// <summary>
/// Guest memory as one vCPU sees it: linear addresses go through <c>KVM_TRANSLATE</c> page by page when paging is on,
/// and only guest RAM is read or written (never MMIO). For the rare emulation-failure path only.
/// </summary>
internal sealed class VcpuEmulationEnvironment : IEmulationEnvironment
{
    private const ulong PageSize = 4096;

    private readonly IKvmVcpuState _vcpu;
    private readonly GuestMemory _memory;
    private readonly bool _paging;

    public VcpuEmulationEnvironment(IKvmVcpuState vcpu, GuestMemory memory, bool paging)
    {
        _vcpu = vcpu;
        _memory = memory;
        _paging = paging;
    }

    public bool TryReadLinear(ulong linearAddress, Span<byte> destination)
    {
        for (int done = 0; done < destination.Length;)
        {
            int chunk = Chunk(linearAddress + (ulong)done, destination.Length - done);
            if (!TryPhysical(linearAddress + (ulong)done, chunk, out ulong physical))
            {
                return false;
            }

            _memory.Read(new GuestAddress(physical), destination.Slice(done, chunk));
            done += chunk;
        }

        return true;
    }

    public bool TryWriteLinear(ulong linearAddress, ReadOnlySpan<byte> source)
    {
        // Translate every page first so that a write is all or nothing.
        Span<ulong> physical = stackalloc ulong[2 + source.Length / (int)PageSize];
        int pages = 0;
        for (int done = 0; done < source.Length; pages++)
        {
            int chunk = Chunk(linearAddress + (ulong)done, source.Length - done);
            if (!TryPhysical(linearAddress + (ulong)done, chunk, out physical[pages]))
            {
                return false;
            }

            done += chunk;
        }

        pages = 0;
        for (int done = 0; done < source.Length; pages++)
        {
            int chunk = Chunk(linearAddress + (ulong)done, source.Length - done);
            _memory.Write(new GuestAddress(physical[pages]), source.Slice(done, chunk));
            done += chunk;
        }

        return true;
    }

    public bool TryCompareExchange128(ulong linearAddress, ref UInt128 expected, UInt128 desired, out bool exchanged)
    {
        // 16-byte aligned, so the operand lies in one page and one translation covers it.
        exchanged = false;
        if ((linearAddress & 15) != 0 || !TryPhysical(linearAddress, 16, out ulong physical))
        {
            return false;
        }

        exchanged = _memory.CompareExchange128(new GuestAddress(physical), ref expected, desired);
        return true;
    }

    public uint ReadMxcsr() => _vcpu.GetFpu().Mxcsr;

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="linearAddress"/>, stopping at the first unreadable page.</summary>
    public int ReadAvailable(ulong linearAddress, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int chunk = Chunk(linearAddress + (ulong)done, destination.Length - done);
            if (!TryReadLinear(linearAddress + (ulong)done, destination.Slice(done, chunk)))
            {
                break;
            }

            done += chunk;
        }

        return done;
    }

    private static int Chunk(ulong address, int remaining) => (int)Math.Min((ulong)remaining, PageSize - (address & (PageSize - 1)));

    private bool TryPhysical(ulong linearAddress, int length, out ulong physical)
    {
        ulong? translated = _paging ? _vcpu.Translate(linearAddress) : linearAddress & 0xFFFF_FFFF;
        physical = translated ?? 0;
        return translated is not null && _memory.Contains(new GuestAddress(physical), (ulong)length);
    }
}
