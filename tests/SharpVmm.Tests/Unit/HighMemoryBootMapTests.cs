using System.Buffers.Binary;
using SharpVmm.Boot.Linux;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Boot.Multiboot;
using SharpVmm.Boot.Pvh;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>
/// The memory maps each boot protocol hands an 8 GiB guest, read back from guest memory as the kernel reads them: RAM
/// from 4 GiB up is listed, nothing lies in the 32-bit device hole, and the initrd stays below 4 GiB.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class HighMemoryBootMapTests : IDisposable
{
    private const ulong MiB = 1UL << 20, GiB = 1UL << 30;

    private static readonly GuestRamLayout Layout = GuestRamLayout.ForSize(8 * GiB);

    private readonly GuestMemory _memory = Layout.CreateMemory();

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void A_bzimage_in_an_8_gib_guest_finds_ram_above_4_gib_in_its_zero_page_e820_map()
    {
        // initrd_addr_max at 4 GiB - 1: the only limit is that the initrd must be in RAM below 4 GiB.
        byte[] bzImage = new BzImageBuilder { InitrdAddressMax = 0xFFFF_FFFF }.Build();

        LinuxBootInfo info = LinuxKernelLoader.Load(_memory, bzImage, new byte[5000], "", LinuxBootLayout.Default, E820Map.ForLayout(Layout));

        GuestAddress zeroPage = info.ZeroPage;
        int count = _memory.Read<byte>(zeroPage.Add(BootParams.E820EntriesOffset));
        byte[] table = _memory.GetSpan(zeroPage.Add(BootParams.E820TableOffset), count * E820Entry.EncodedSize).ToArray();
        AssertMapOf8GiB([.. Enumerable.Range(0, count).Select(i => Entry(table, i * E820Entry.EncodedSize))]);
        Assert.Equal(new GuestAddress((3 * GiB) - 0x2000), info.InitrdAddress);
    }

    [Fact]
    public void A_pvh_kernel_in_an_8_gib_guest_finds_ram_above_4_gib_in_its_hvm_start_info_memmap()
    {
        PvhBootInfo info = PvhLoader.Load(_memory, new ElfBuilder().Build(), new byte[5000], "", PvhBootLayout.Default, E820Map.ForLayout(Layout));

        ulong memmap = _memory.Read<ulong>(info.StartInfo.Add(0x28));
        uint count = _memory.Read<uint>(info.StartInfo.Add(0x30));
        byte[] table = _memory.GetSpan(new GuestAddress(memmap), (int)count * HvmMemoryMap.EntrySize).ToArray();
        AssertMapOf8GiB([.. Enumerable.Range(0, (int)count).Select(i => Entry(table, i * HvmMemoryMap.EntrySize))]);
        Assert.Equal(new GuestAddress((3 * GiB) - 0x2000), info.InitrdAddress);
    }

    [Fact]
    public void A_multiboot_kernel_in_an_8_gib_guest_finds_ram_above_4_gib_in_its_mmap_and_mem_upper_stops_at_the_hole()
    {
        var module = new MultibootModule(new byte[5000], "initrd", "initrd");

        MultibootBootInfo info = MultibootLoader.Load(_memory, new MultibootImageBuilder().BuildFlat(), [module], "",
            E820Map.ForLayout(Layout), MultibootLayout.Default, "kernel");

        GuestAddress mbi = info.InfoAddress;
        uint length = _memory.Read<uint>(mbi.Add(MultibootInfo.MemoryMapLengthOffset));
        uint address = _memory.Read<uint>(mbi.Add(MultibootInfo.MemoryMapAddressOffset));
        byte[] mmap = _memory.GetSpan(new GuestAddress(address), (int)length).ToArray();
        var entries = new List<E820Entry>();
        for (int at = 0; at < mmap.Length; at += 4 + (int)BinaryPrimitives.ReadUInt32LittleEndian(mmap.AsSpan(at)))
        {
            entries.Add(Entry(mmap, at + 4));
        }

        AssertMapOf8GiB(entries);
        // mem_upper counts KiB from 1 MiB to the first hole: 3 GiB - 1 MiB; the RAM above 4 GiB is only in the mmap.
        Assert.Equal((uint)(((3 * GiB) - MiB) / 1024), _memory.Read<uint>(mbi.Add(MultibootInfo.MemUpperOffset)));
        Assert.Equal(639u, _memory.Read<uint>(mbi.Add(MultibootInfo.MemLowerOffset))); // RAM up to the EBDA at 0x9fc00
        Assert.True(Assert.Single(info.Modules).End <= GuestRamLayout.HoleStart);
    }

    private static E820Entry Entry(byte[] table, int at) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(at)), BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(at + 8)),
            (E820Type)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 16)));

    private static void AssertMapOf8GiB(IReadOnlyList<E820Entry> map)
    {
        Assert.Contains(new E820Entry(MiB, (3 * GiB) - MiB, E820Type.Ram), map);
        Assert.Contains(new E820Entry(4 * GiB, 5 * GiB, E820Type.Ram), map);
        Assert.DoesNotContain(map, e => e.Address < 4 * GiB && e.End > GuestRamLayout.HoleStart);
        Assert.Equal(8 * GiB, map.Where(e => e.Type == E820Type.Ram).Aggregate(0UL, (sum, e) => sum + e.Size) + (MiB - 0x9_FC00));
    }
}
