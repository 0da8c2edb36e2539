using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpVmm.Kvm;

/// <summary>
/// The ring in which KVM queues writes to coalesced zones (<see cref="KvmVm.RegisterCoalescedZone"/>): one page of
/// every vCPU's mapping, at the page offset <c>KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO)</c> returns, shared by the
/// whole VM (<c>struct kvm_coalesced_mmio_ring</c>: <c>first</c>, <c>last</c>, then 24-byte entries). KVM produces at
/// <c>last</c>; the VMM consumes at <c>first</c>. When the ring is full the write exits as usual, so a VMM that empties
/// the ring before it handles each exit sees every access in the guest's order. One consumer at a time: callers
/// serialise <see cref="TryTake"/> and <see cref="Take"/>.
/// </summary>
public sealed unsafe class CoalescedWriteRing
{
    /// <summary>Bytes before the first entry (<c>first</c> and <c>last</c>).</summary>
    public const int HeaderSize = 8;

    /// <summary>Bytes per entry (<c>struct kvm_coalesced_mmio</c>: address, length, pio, 8 data bytes).</summary>
    public const int EntrySize = 24;

    /// <summary>Where an entry's data bytes start.</summary>
    public const int EntryDataOffset = 16;

    private readonly KvmVcpu _mapping; // keeps the mapping the ring lives in
    private readonly byte* _ring;
    private readonly uint _capacity;

    private CoalescedWriteRing(KvmVcpu mapping, byte* ring, int pageSize)
    {
        _mapping = mapping;
        _ring = ring;
        _capacity = (uint)((pageSize - HeaderSize) / EntrySize); // KVM_COALESCED_MMIO_MAX
    }

    /// <summary>Entries the ring holds at most.</summary>
    public int Capacity => (int)_capacity;

    /// <summary>The vCPU whose mapping holds the ring.</summary>
    public KvmVcpu Mapping => _mapping;

    /// <summary>
    /// The VM's ring, seen through <paramref name="vcpu"/>'s mapping, or null where KVM has no coalesced I/O or the
    /// mapping does not reach the ring's page.
    /// </summary>
    /// <param name="vm">The VM (asked for <see cref="KvmCap.CoalescedMmio"/>).</param>
    /// <param name="vcpu">Any of its vCPUs; the ring is valid while this vCPU is not disposed.</param>
    public static CoalescedWriteRing? Open(KvmVm vm, KvmVcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(vcpu);
        int pageOffset = vm.CheckExtension(KvmCap.CoalescedMmio);
        int pageSize = Environment.SystemPageSize;
        Span<byte> area = vcpu.RunArea;
        if (pageOffset <= 0 || (long)(pageOffset + 1) * pageSize > area.Length)
        {
            return null;
        }

        // SAFETY: the page lies inside the vCPU's kvm_run mapping (checked above), which stays mapped until the vCPU
        // is disposed; the ring object keeps the vCPU referenced.
        byte* ring = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(area)) + (pageOffset * pageSize);
        return new CoalescedWriteRing(vcpu, ring, pageSize);
    }

    /// <summary>Whether KVM has queued nothing since the last <see cref="TryTake"/> or <see cref="Take"/> emptied the ring.</summary>
    // SAFETY: _ring points at the mapped ring header (see Open).
    public bool IsEmpty => Volatile.Read(ref *(uint*)_ring) == Volatile.Read(ref *(uint*)(_ring + 4));

    /// <summary>Takes the oldest queued write, in the guest's order; false when the ring is empty.</summary>
    public bool TryTake(out CoalescedWrite write)
    {
        // SAFETY: _ring points at the mapped ring; first and last are kept below _capacity by KVM and by this method,
        // and each is checked before it is used as an index, so a corrupt header cannot move a read off the page.
        uint first = Volatile.Read(ref *(uint*)_ring);
        uint last = Volatile.Read(ref *(uint*)(_ring + 4)); // acquire: the entry KVM wrote before moving last is visible
        if (first == last || first >= _capacity)
        {
            write = default;
            return false;
        }

        byte* entry = _ring + HeaderSize + (first * EntrySize);
        ulong address = *(ulong*)entry;
        uint length = *(uint*)(entry + 8);
        uint pio = *(uint*)(entry + 12);
        ulong data = *(ulong*)(entry + EntryDataOffset);
        write = new CoalescedWrite(address, (int)Math.Min(length, 8u), pio != 0, data);
        Volatile.Write(ref *(uint*)_ring, (first + 1) % _capacity); // release: the entry is read before KVM may reuse it
        return true;
    }

    /// <summary>
    /// Takes the oldest queued writes, up to <paramref name="into"/>.Length, oldest first, and hands their slots back to
    /// KVM with one update of the ring's head. Returns how many it took: 0 when the ring is empty.
    /// </summary>
    public int Take(Span<CoalescedWrite> into)
    {
        // SAFETY: _ring points at the mapped ring; first and last are checked against _capacity before either is used,
        // and first stays below it as it advances, so a corrupt header cannot move a read off the page.
        uint first = Volatile.Read(ref *(uint*)_ring);
        uint last = Volatile.Read(ref *(uint*)(_ring + 4)); // acquire: the entries KVM wrote before moving last are visible
        if (first >= _capacity || last >= _capacity)
        {
            return 0;
        }

        int taken = 0;
        while (first != last && taken < into.Length)
        {
            byte* entry = _ring + HeaderSize + (first * EntrySize);
            uint length = *(uint*)(entry + 8);
            into[taken++] = new CoalescedWrite(*(ulong*)entry, (int)Math.Min(length, 8u), *(uint*)(entry + 12) != 0, *(ulong*)(entry + EntryDataOffset));
            first = first + 1 == _capacity ? 0 : first + 1;
        }

        Volatile.Write(ref *(uint*)_ring, first); // release: the entries are read before KVM may reuse their slots
        return taken;
    }
}
