using System.Numerics;
using SharpVmm.Kvm;
using SharpVmm.Memory;

namespace SharpVmm.Snapshot;

/// <summary>
/// Reads which pages of one memory slot the guest wrote (<c>KVM_GET_DIRTY_LOG</c>), for a diff snapshot. The slot must
/// log dirty pages: build the VM with <see cref="VirtualMachineBuilder.WithDirtyPageTracking"/>. Every read also clears
/// KVM's log, so the next one reports only the pages written since. Writes by the host (devices, loaders) are not in it.
/// </summary>
public sealed class DirtyPageLog
{
    private readonly KvmVm _vm;

    /// <summary>A reader for slot <paramref name="slot"/> of <paramref name="vm"/>, <paramref name="regionSize"/> bytes long.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is 0 or not a whole number of pages.</exception>
    public DirtyPageLog(KvmVm vm, uint slot, ulong regionSize)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentOutOfRangeException.ThrowIfZero(regionSize);
        if (regionSize % GuestMemoryRegion.PageSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(regionSize), regionSize, "a memory slot is a whole number of 4 KiB pages");
        }

        _vm = vm;
        Slot = slot;
        PageCount = regionSize / GuestMemoryRegion.PageSize;
    }

    /// <summary>A reader for <paramref name="slot"/> of <paramref name="vm"/>.</summary>
    public DirtyPageLog(KvmVm vm, MemorySlot slot)
        : this(vm, (slot ?? throw new ArgumentNullException(nameof(slot))).Slot, slot.Size)
    {
    }

    /// <summary>The memory slot.</summary>
    public uint Slot { get; }

    /// <summary>The slot's pages: the bits of the bitmap that mean something.</summary>
    public ulong PageCount { get; }

    /// <summary>
    /// Reads and clears KVM's log: bit <c>n % 64</c> of word <c>n / 64</c> is set when the guest wrote page <c>n</c>
    /// of the slot (guest-physical <c>slot start + n * 4096</c>).
    /// </summary>
    public ulong[] ReadBitmap()
    {
        var bitmap = new ulong[(PageCount + 63) / 64];
        _vm.GetDirtyLog(Slot, bitmap);
        return bitmap;
    }

    /// <summary>Reads and clears KVM's log, and returns the numbers of the written pages within the slot, ascending.</summary>
    public IReadOnlyList<ulong> ReadDirtyPages() => PagesOf(ReadBitmap());

    /// <summary>The page numbers whose bits are set in <paramref name="bitmap"/>, ascending.</summary>
    public static IReadOnlyList<ulong> PagesOf(ReadOnlySpan<ulong> bitmap)
    {
        var pages = new List<ulong>();
        for (int word = 0; word < bitmap.Length; word++)
        {
            for (ulong bits = bitmap[word]; bits != 0; bits &= bits - 1)
            {
                pages.Add(((ulong)word * 64) + (ulong)BitOperations.TrailingZeroCount(bits));
            }
        }

        return pages;
    }
}
