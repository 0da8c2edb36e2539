using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// A guest of more than 3 GiB: its RAM continues at 4 GiB in a memory slot of its own, and the 32-bit hole between
/// stays device space. The guest runs in long mode with page tables that map its whole 6 GiB (plus the hole) 1:1.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class HighMemoryGuestTests
{
    private const ulong GiB = 1UL << 30;
    private const ushort Port = 0x500;
    private const ulong CodeAddress = 0x10_0000;
    private const uint HoleDevice = 0xD000_0000;

    // [4 GiB, 7 GiB) is RAM: the part of 6 GiB that does not fit below the hole.
    private const ulong HighAddress = (5 * GiB) + 0x1234_5000, LastQword = (7 * GiB) - 8;

    // Three more page directories for [4 GiB, 7 GiB), past the six pages CpuModeSetup writes at 0x9000.
    private const ulong ExtraDirectories = 0x2_0000;

    [Fact]
    public void A_guest_with_6_gib_writes_and_reads_ram_above_4_gib_and_finds_devices_in_the_hole()
    {
        var port = new RecordingDevice();
        var device = new RecordingDevice((offset, _) => 0xD0D0_0000 + offset);
        using VirtualMachine vm = TestVm.Create(b => b.AddIoDevice(Port, 4, port).AddMmioDevice(HoleDevice, 0x1000, device), memory: 6 * GiB);
        Assert.Equal([(0UL, 3 * GiB), (4 * GiB, 3 * GiB)], vm.Memory.Regions.Select(r => (r.Start.Value, r.Size)));
        Assert.Equal(vm.RamLayout.Ranges.Select(r => (r.Start.Value, r.Size)), vm.Memory.Regions.Select(r => (r.Start.Value, r.Size)));

        vm.Memory.Write(new GuestAddress(HighAddress), 0xCAFE_F00D_1234_5678UL); // the host writes, the guest reads
        byte[] code = GuestCode.Assemble(64, CodeAddress, a =>
        {
            a.mov(dx, Port);
            a.mov(rbx, HighAddress);
            a.mov(rax, __qword_ptr[rbx]);
            a.@out(dx, eax);
            a.shr(rax, 32);
            a.@out(dx, eax);
            a.mov(rax, 0x1122_3344_5566_7788);
            a.mov(__qword_ptr[rbx + 8], rax);        // the guest writes, the host reads
            a.mov(rcx, LastQword);
            a.mov(__qword_ptr[rcx], rax);            // the last bytes of RAM
            a.mov(eax, __dword_ptr[HoleDevice + 0x40]); // the hole is still MMIO
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Long64, CodeAddress, code);
        MapFourToSevenGiB(vm.Memory);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.True(result.Reason == VmStopReason.AllVcpusHalted, $"{result.Summary}\n{result.Report}");
        Assert.Equal([0x1234_5678UL, 0xCAFE_F00DUL, 0xD0D0_0040UL], port.Writes.Select(w => w.Value).ToArray());
        Assert.Equal(0x1122_3344_5566_7788UL, vm.Memory.Read<ulong>(new GuestAddress(HighAddress + 8)));
        Assert.Equal(0x1122_3344_5566_7788UL, vm.Memory.Read<ulong>(new GuestAddress(LastQword)));
    }

    // CpuModeSetup maps [0, 4 GiB) through PDPT entries 0-3 (PDPT at 0xA000); entries 4-6 get 2 MiB pages up to 7 GiB.
    private static void MapFourToSevenGiB(GuestMemory memory)
    {
        const ulong Present = 1, Writable = 2, LargePage = 1 << 7;
        ulong pdpt = new CpuModeLayout().PageTables.Value + 0x1000;
        for (ulong gib = 4; gib < 7; gib++)
        {
            ulong directory = ExtraDirectories + ((gib - 4) * 0x1000);
            memory.Write(new GuestAddress(pdpt + (gib * 8)), directory | Present | Writable);
            for (ulong i = 0; i < 512; i++)
            {
                memory.Write(new GuestAddress(directory + (i * 8)), ((gib * GiB) + (i << 21)) | Present | Writable | LargePage);
            }
        }
    }
}
