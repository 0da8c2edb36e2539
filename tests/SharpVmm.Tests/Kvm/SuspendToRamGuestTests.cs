using System.Diagnostics;
using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Legacy;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using SharpVmm.X86.Acpi;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>ACPI S3 end to end: a tiny real-mode guest sleeps and the RTC alarm wakes it at its FACS waking vector.</summary>
[Tier(TestTiers.KvmFast)]
public class SuspendToRamGuestTests
{
    private const ulong MainCode = 0x1000, WakeCode = 0x2000;
    private const byte Asleep = 0xEE, WrongSegment = 0xBD;

    [Fact]
    public void A_guest_that_enters_s3_wakes_on_the_rtc_alarm_at_its_firmware_waking_vector_in_real_mode()
    {
        using var vm = TestVm.Create(b => PcPlatform.Machine(b));
        PcPlatform pc = PcPlatform.Attach(vm.Devices, Stream.Null);
        AcpiPlatform acpi = AcpiPlatform.Attach(vm.Devices, wakeAlarm: pc.Rtc);
        AcpiLayout layout = acpi.Layout;
        acpi.WriteTables(vm.Memory, vm.Vcpus.Count);
        uint facs = (uint)AcpiTables.FacsAddress(layout).Value;

        byte[] main = GuestCode.Assemble(16, 0, a =>
        {
            var noWrap = a.CreateLabel();
            // RTC: binary, 24-hour, alarm interrupt on; the alarm 2 s after the current second, any minute and hour.
            Cmos(a, 0x0B, 0x26);
            a.mov(al, 0x00);
            a.@out(0x70, al);
            a.@in(al, 0x71);
            a.add(al, 2);
            a.cmp(al, 60);
            a.jb(noWrap);
            a.sub(al, 60);
            a.Label(ref noWrap);
            a.mov(bl, al);
            a.mov(al, 0x01);
            a.@out(0x70, al);
            a.mov(al, bl);
            a.@out(0x71, al);
            Cmos(a, 0x03, 0xFF);
            Cmos(a, 0x05, 0xFF);
            // PM1_EN.RTC_EN, so the alarm is a wake event.
            a.mov(dx, (ushort)(layout.Pm1aEventPort + AcpiPm1EventBlock.EnableOffset));
            a.mov(ax, (ushort)AcpiPm1EventBlock.RtcEnable);
            a.@out(dx, ax);
            // FACS.Firmware_Waking_Vector = the wake code.
            a.mov(ax, (ushort)(facs >> 4));
            a.mov(ds, ax);
            a.mov(__dword_ptr[(facs & 0xF) + 12], (uint)WakeCode);
            // SLP_TYP = S3, SLP_EN.
            a.mov(dx, (ushort)layout.Pm1aControlPort);
            a.mov(ax, (ushort)((layout.S3SleepType!.Value << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable));
            a.@out(dx, ax);
            a.mov(al, Asleep); // only runs if the write did not stop the vCPU
            a.@out(0xF4, al);
            a.hlt();
        });
        byte[] wake = GuestCode.Assemble(16, 0, a =>
        {
            var wrong = a.CreateLabel();
            a.mov(ax, cs);
            a.cmp(ax, (ushort)(WakeCode >> 4));
            a.jne(wrong);
            a.mov(dx, (ushort)layout.Pm1aEventPort);
            a.@in(ax, dx);
            a.mov(al, ah); // WAK_STS | RTC_STS is 0x84 in the high byte
            a.@out(0xF4, al);
            a.hlt();
            a.Label(ref wrong);
            a.mov(al, WrongSegment);
            a.@out(0xF4, al);
            a.hlt();
        });
        vm.Memory.Write(new Memory.GuestAddress(WakeCode), wake);
        TestVm.Load(vm, CpuMode.Real, MainCode, main);

        var clock = Stopwatch.StartNew();
        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.GuestDebugExit, result.Reason);
        Assert.Equal(DebugExitPort.ToExitStatus(0x84), result.GuestExitStatus);
        Assert.Equal(1, acpi.Sleep.Suspends);
        Assert.Equal(1, acpi.Control.SuspendRequests);
        Assert.Equal(1, vm.Wakes);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"woke after {clock.Elapsed}, before the alarm");
    }

    [Fact]
    public void Without_rtc_en_the_alarm_does_not_wake_the_guest_and_its_vcpus_stay_off_kvm_run()
    {
        using var vm = TestVm.Create(b => PcPlatform.Machine(b), vcpus: 2);
        PcPlatform pc = PcPlatform.Attach(vm.Devices, Stream.Null);
        AcpiPlatform acpi = AcpiPlatform.Attach(vm.Devices, wakeAlarm: pc.Rtc);
        AcpiLayout layout = acpi.Layout;
        acpi.WriteTables(vm.Memory, vm.Vcpus.Count);
        byte[] main = GuestCode.Assemble(16, 0, a =>
        {
            Cmos(a, 0x0B, 0x26);      // alarm interrupt on, binary
            Cmos(a, 0x01, 0xFF);      // every second
            Cmos(a, 0x03, 0xFF);
            Cmos(a, 0x05, 0xFF);
            a.mov(dx, (ushort)layout.Pm1aControlPort);
            a.mov(ax, (ushort)((layout.S3SleepType!.Value << AcpiPm1ControlBlock.SleepTypeShift) | AcpiPm1ControlBlock.SleepEnable));
            a.@out(dx, ax);
            a.mov(al, Asleep);
            a.@out(0xF4, al);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Real, MainCode, main);
        vm.Vcpus[1].Kvm.SetMpState(SharpVmm.Kvm.Structs.KvmMpState.Uninitialized); // the AP waits for INIT/SIPI, as at boot

        vm.Start();
        Assert.True(SpinWait.SpinUntil(() => vm.IsSuspended, TimeSpan.FromSeconds(20)), "the guest never entered S3");
        Thread.Sleep(200);
        long exits = vm.ExitCount;
        Thread.Sleep(TimeSpan.FromSeconds(2.5)); // two alarms pass
        long exitsWhileAsleep = vm.ExitCount - exits;
        vm.Stop();
        VmRunResult result = vm.WaitForExit(TimeSpan.FromSeconds(20));

        Assert.Equal(VmStopReason.StopRequested, result.Reason);
        Assert.Equal(0, exitsWhileAsleep);
        Assert.Equal(1, acpi.Sleep.Suspends);
        Assert.Equal(0, vm.Wakes);
        Assert.Equal(0, acpi.Events.Status & AcpiPm1EventBlock.WakeStatus);
    }

    private static void Cmos(Iced.Intel.Assembler a, byte register, byte value)
    {
        a.mov(al, register);
        a.@out(0x70, al);
        a.mov(al, value);
        a.@out(0x71, al);
    }
}
