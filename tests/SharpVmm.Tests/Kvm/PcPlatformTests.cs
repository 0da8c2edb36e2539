using System.Buffers.Binary;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Firmware;
using SharpVmm.Devices.Legacy;
using SharpVmm.Memory;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86.Acpi;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>The PC and ACPI devices built on a VM that exists: their ports, and the RAM and tables they describe.</summary>
[Tier(TestTiers.KvmFast)]
public class PcPlatformTests
{
    private const ulong MiB = 1UL << 20, GiB = 1UL << 30;

    [Fact]
    public void The_default_acpi_ports_do_not_collide_with_the_pc_devices()
    {
        using VirtualMachine vm = TestVm.Create(b => PcPlatform.Machine(b));

        PcPlatform.Attach(vm.Devices, Stream.Null);
        AcpiPlatform acpi = AcpiPlatform.Attach(vm.Devices);

        Assert.Contains(vm.IoBus.Ranges, r => r.Base == acpi.Layout.Pm1aControlPort && r.Device == acpi.Control);
        Assert.Contains(vm.IoBus.Ranges, r => r.Base == acpi.Layout.ResetPort && r.Device == acpi.Reset);
    }

    [Fact]
    public void An_acpi_layout_that_overlaps_its_own_blocks_is_refused_when_it_is_attached()
    {
        using VirtualMachine vm = TestVm.Create(b => b.WithInKernelIrqchip());

        Assert.Throws<BusConflictException>(() => AcpiPlatform.Attach(vm.Devices, AcpiLayout.Default with { ResetPort = 0x601 }));
    }

    [Fact]
    public void The_acpi_tables_describe_the_layout_the_devices_were_attached_at()
    {
        var layout = AcpiLayout.Default with { PmTimerPort = 0x620, S5SleepType = 7 };
        using VirtualMachine vm = TestVm.Create(b => b.WithInKernelIrqchip(), memory: 1 << 20);
        AcpiPlatform acpi = AcpiPlatform.Attach(vm.Devices, layout);

        GuestAddress rsdp = acpi.WriteTables(vm.Memory, 1);

        byte[] tables = new byte[AcpiTables.SizeFor((uint)rsdp.Value, 1)];
        vm.Memory.Read(rsdp, tables);
        Assert.Equal(AcpiTables.Build((uint)rsdp.Value, 1, layout), tables);
        Assert.Contains(vm.IoBus.Ranges, r => r.Base == 0x620 && r.Device == acpi.Timer);
    }

    [Fact]
    public void The_pc_platform_of_an_8_gib_guest_reports_ram_above_4_gib_in_cmos_and_fw_cfg()
    {
        using VirtualMachine vm = TestVm.Create(b => PcPlatform.Machine(b), memory: 8 * GiB);

        PcPlatform pc = PcPlatform.Attach(vm.Devices, Stream.Null);

        // CMOS 0x34/0x35: 64 KiB units from 16 MiB to the top of RAM below 4 GiB; 0x5b-0x5d: 64 KiB units above 4 GiB.
        Assert.Equal((int)(((3 * GiB) - (16 * MiB)) / (64 * 1024)), ReadCmos(pc.Rtc, 0x34) | (ReadCmos(pc.Rtc, 0x35) << 8));
        Assert.Equal((int)(5 * GiB / (64 * 1024)), ReadCmos(pc.Rtc, 0x5B) | (ReadCmos(pc.Rtc, 0x5C) << 8) | (ReadCmos(pc.Rtc, 0x5D) << 16));

        FwCfgDevice fw = pc.FirmwareConfig;
        Assert.Equal(8 * GiB, BinaryPrimitives.ReadUInt64LittleEndian(FwCfgReader.ReadItem(fw, FwCfgKey.RamSize, 8)));
        FwCfgFile file = Assert.Single(fw.Files, f => f.Name == PcPlatform.E820FileName);
        byte[] e820 = FwCfgReader.ReadItem(fw, file.Selector, file.Size);
        Assert.Equal(2 * E820Entry.EncodedSize, e820.Length);
        Assert.Equal((0UL, 3 * GiB, 1u), ReadEntry(e820, 0));
        Assert.Equal((4 * GiB, 5 * GiB, 1u), ReadEntry(e820, 1));
    }

    private static (ulong Address, ulong Size, uint Type) ReadEntry(byte[] table, int index)
    {
        ReadOnlySpan<byte> entry = table.AsSpan(index * E820Entry.EncodedSize, E820Entry.EncodedSize);
        return (BinaryPrimitives.ReadUInt64LittleEndian(entry), BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]));
    }

    private static byte ReadCmos(CmosRtc rtc, byte register)
    {
        rtc.Write(CmosRtc.IndexOffset, [register]);
        Span<byte> value = [0];
        rtc.Read(CmosRtc.DataOffset, value);
        return value[0];
    }
}
