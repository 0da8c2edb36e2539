using SharpVmm.Tests.Support;
using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Bus;
using SharpVmm.Kvm;
using SharpVmm.Memory;
using SharpVmm.Platform;
using SharpVmm.X86.Acpi;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class AcpiPlatformTests
{
    [Fact]
    public void The_default_ports_do_not_collide_with_the_pc_devices()
    {
        // Build registers every device before it opens the KVM device: with a device node that does not exist,
        // reaching KvmUnavailableException proves the layout was accepted (a conflict throws BusConflictException first).
        var builder = new VirtualMachineBuilder().WithKvmDevice("/nonexistent/sharpvmm-no-kvm");
        PcPlatform.AddTo(builder, Stream.Null);
        AcpiPlatform.AddTo(builder);

        Assert.Throws<KvmUnavailableException>(builder.Build);
    }

    [Fact]
    public void A_layout_that_overlaps_its_own_blocks_is_refused_before_kvm_is_touched()
    {
        var builder = new VirtualMachineBuilder();
        AcpiPlatform.AddTo(builder, AcpiLayout.Default with { ResetPort = 0x601 });

        Assert.Throws<BusConflictException>(builder.Build);
    }

    [Fact]
    public void Guest_writes_before_the_vm_exists_are_harmless_and_the_tables_use_the_platforms_layout()
    {
        var layout = AcpiLayout.Default with { PmTimerPort = 0x620, S5SleepType = 7 };
        AcpiPlatform acpi = AcpiPlatform.AddTo(new VirtualMachineBuilder(), layout);

        acpi.Control.Write(0, [0, (7 << AcpiPm1ControlBlock.SleepTypeShift | AcpiPm1ControlBlock.SleepEnable) >> 8]);
        acpi.Reset.Write(0, [layout.ResetValue]);

        using var memory = GuestMemory.CreateFlat(1 << 20);
        GuestAddress rsdp = acpi.WriteTables(memory, 1);
        Assert.Equal(AcpiTables.Build((uint)rsdp.Value, 1, layout), ReadBack(memory, rsdp, AcpiTables.SizeFor((uint)rsdp.Value, 1)));
    }

    private static byte[] ReadBack(GuestMemory memory, GuestAddress at, int length)
    {
        byte[] bytes = new byte[length];
        memory.Read(at, bytes);
        return bytes;
    }
}
