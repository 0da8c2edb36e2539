using SharpVmm.Boot.Initramfs;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The project's guest kernel boots with a busybox initramfs. On a kvm_pvm host the evidence is what the kernel
/// itself does (all CPUs up, the initramfs unpacked, /init started, then init dies and panic=-1 reboots through the
/// i8042 reset line); where guest user mode runs, /init's own output is checked too.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class LinuxBootTests
{
    // Ring-0 code is emulated on a kvm_pvm host (about 1 us per instruction), so a boot takes minutes there.
    private static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(10);

    private const string InitMarker = "SHARPVMM-INIT-RAN";

    private static readonly string TestInit =
        "#!/bin/sh\n" +
        "mount -t proc proc /proc\n" +
        $"echo {InitMarker} nproc=$(nproc)\n" +
        "reboot -f\n";

    [Fact]
    public void The_pvh_entry_boots_to_init_with_two_cpus_and_a_reboot_ends_the_run()
    {
        KvmTestEnvironment.RequireKvm();
        (VmRunResult result, string console) = Boot(GuestKernel.Vmlinux, cpus: 2);

        AssertBootedToInit(result, console);
        Assert.Contains("smp: Brought up 1 node, 2 CPUs", console, StringComparison.Ordinal);
        Assert.Contains("Booting paravirtualized kernel on KVM", console, StringComparison.Ordinal);
    }

    [Fact]
    [Trait(TestTiers.SmokeTrait, TestTiers.SmokeDirect)]
    public void The_pvh_entry_boots_to_init_with_one_cpu()
    {
        KvmTestEnvironment.RequireKvm();
        (VmRunResult result, string console) = Boot(GuestKernel.Vmlinux, cpus: 1);

        AssertBootedToInit(result, console);
        Assert.Contains("smp: Brought up 1 node, 1 CPU", console, StringComparison.Ordinal);
    }

    [Fact]
    public void A_guest_with_8_gib_boots_to_init_with_its_ram_above_4_gib_in_the_e820_map()
    {
        KvmTestEnvironment.RequireKvm();
        string init = "#!/bin/sh\nmount -t proc proc /proc\n" + $"echo {InitMarker} $(grep MemTotal /proc/meminfo)\n" + "reboot -f\n";
        (VmRunResult result, string console) = LinuxGuestRun.Boot(GuestKernel.Vmlinux, init, BootLimit, cpus: 1, memory: 8UL << 30);

        AssertBootedToInit(result, console);
        Assert.Contains("BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable", console, StringComparison.Ordinal);
        Assert.Contains("BIOS-e820: [mem 0x0000000100000000-0x000000023fffffff] usable", console, StringComparison.Ordinal);
        if (!GuestKernel.UserModeUnavailable)
        {
            var match = System.Text.RegularExpressions.Regex.Match(console, @"MemTotal:\s+(\d+) kB");
            Assert.True(match.Success, "init printed no MemTotal");
            Assert.True(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 7L << 20,
                $"the guest sees only {match.Groups[1].Value} kB of its 8 GiB");
        }
    }

    [Fact]
    public void The_bzimage_entry_boots_to_init()
    {
        KvmTestEnvironment.RequireKvm();
        (VmRunResult result, string console) = Boot(GuestKernel.BzImage, cpus: 1);

        AssertBootedToInit(result, console);
        Assert.Contains("smp: Brought up 1 node, 1 CPU", console, StringComparison.Ordinal);
    }

    [Fact]
    public void With_acpi_and_no_mp_table_both_cpus_come_up_and_the_reboot_goes_through_the_acpi_reset_register()
    {
        KvmTestEnvironment.RequireKvm();
        (VmRunResult result, string console) = Boot(GuestKernel.Vmlinux, cpus: 2, acpi: true, extraCommandLine: "reboot=acpi");

        AssertBootedToInit(result, console, GuestEnding.AcpiReset);
        Assert.Contains("ACPI: RSDP 0x00000000000F0000", console, StringComparison.Ordinal);
        Assert.DoesNotContain("found SMP MP-table", console, StringComparison.Ordinal);
        Assert.Contains("smp: Brought up 1 node, 2 CPUs", console, StringComparison.Ordinal);
    }

    [Fact]
    public void Poweroff_in_the_guest_ends_the_run_through_acpi_s5()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        (VmRunResult result, string console) = Boot(GuestKernel.BzImage, cpus: 1, acpi: true, init: "#!/bin/sh\npoweroff -f\n");

        GuestEnding.AssertRun(result, VmStopReason.GuestPowerOff, GuestEnding.AcpiPowerOff, console);
    }

    [Fact]
    public void Init_runs_in_user_mode_and_sees_every_cpu()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        (VmRunResult result, string console) = Boot(GuestKernel.Vmlinux, cpus: 2);

        Assert.Contains($"{InitMarker} nproc=2", console, StringComparison.Ordinal);
        GuestEnding.AssertRun(result, VmStopReason.GuestReset, GuestEnding.KeyboardControllerReset, console);
    }

    [Fact]
    public void A_command_typed_on_the_serial_console_runs_in_the_guest_shell()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        var serial = new SerialCapture();
        using VirtualMachine vm = PcPlatform.Machine(new VirtualMachineBuilder().WithMemory(128UL << 20).WithVcpus(1)).Build();
        PcPlatform pc = PcPlatform.Attach(vm.Devices, serial);
        DirectKernelBoot.Prepare(vm, new KernelBootOptions
        {
            Kernel = File.ReadAllBytes(GuestKernel.Vmlinux),
            KernelName = GuestKernel.Vmlinux,
            Initrd = new BusyboxInitramfs().ToArray(), // the default /init: a shell on the console, reboot when it ends
            CommandLine = DirectKernelBoot.CommandLineFor(GuestKernel.BaseCommandLine, KernelFormat.Pvh),
        });

        vm.Start();
        WaitFor(serial, "/ # ", vm);
        pc.Serial.EnqueueInput("echo typed-$((6*7))\n"u8);
        WaitFor(serial, "typed-42", vm);
        pc.Serial.EnqueueInput("exit\n"u8);
        VmRunResult result = vm.WaitForExit(TimeSpan.FromMinutes(2));

        GuestEnding.AssertRun(result, VmStopReason.GuestReset, GuestEnding.KeyboardControllerReset, serial.Text);
    }

    private static void WaitFor(SerialCapture serial, string text, VirtualMachine vm)
    {
        DateTime deadline = DateTime.UtcNow + BootLimit;
        while (!serial.Text.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                vm.Stop();
                Assert.Fail($"'{text}' did not appear on the console within {BootLimit}; console:\n{Tail(serial.Text)}");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>The guest reached /init and then reset itself (by default through the i8042, as reboot=k says): not a
    /// triple fault, not the time limit.</summary>
    private static void AssertBootedToInit(VmRunResult result, string console, string ending = GuestEnding.KeyboardControllerReset)
    {
        GuestEnding.AssertRun(result, VmStopReason.GuestReset, ending, console);
        Assert.Contains("Linux version 6.1", console, StringComparison.Ordinal);
        Assert.Contains("Unpacking initramfs...", console, StringComparison.Ordinal);
        Assert.Contains("Run /init as init process", console, StringComparison.Ordinal);
        Assert.DoesNotContain("Oops", console, StringComparison.Ordinal);
        if (GuestKernel.UserModeUnavailable)
        {
            Assert.Contains("Attempted to kill init", console, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(InitMarker, console, StringComparison.Ordinal);
        }
    }

    private static (VmRunResult Result, string Console) Boot(string kernel, int cpus, bool acpi = false, string? init = null,
        string extraCommandLine = "") =>
        LinuxGuestRun.Boot(kernel, init ?? TestInit, BootLimit, cpus, acpi: acpi, extraCommandLine: extraCommandLine);

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
