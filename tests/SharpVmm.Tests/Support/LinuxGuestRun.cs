using SharpVmm.Boot.Initramfs;
using SharpVmm.Platform;

namespace SharpVmm.Tests.Support;

/// <summary>Boots a Linux kernel with a busybox initramfs on the PC platform and returns how the run ended and what the console showed.</summary>
public static class LinuxGuestRun
{
    public static (VmRunResult Result, string Console) Boot(string kernel, string init, TimeSpan limit, int cpus = 1,
        ulong memory = 128UL << 20, bool acpi = false, string extraCommandLine = "")
    {
        var serial = new SerialCapture();
        using VirtualMachine vm = PcPlatform.Machine(new VirtualMachineBuilder().WithMemory(memory).WithVcpus(cpus)).Build();
        PcPlatform.Attach(vm.Devices, serial);
        AcpiPlatform? acpiDevices = acpi ? AcpiPlatform.Attach(vm.Devices) : null;
        byte[] image = File.ReadAllBytes(kernel);
        DirectKernelBoot.Prepare(vm, new KernelBootOptions
        {
            Kernel = image,
            KernelName = kernel,
            Initrd = new BusyboxInitramfs { InitScript = init }.ToArray(),
            CommandLine = DirectKernelBoot.CommandLineFor($"{GuestKernel.BaseCommandLine} {extraCommandLine}".TrimEnd(),
                DirectKernelBoot.DetectFormat(image, kernel)),
            Acpi = acpiDevices?.Layout,
            WriteMpTable = !acpi, // with ACPI the kernel must find its CPUs in the MADT alone
        });
        VmRunResult result = vm.Run(new VmRunOptions { TimeLimit = limit });
        return (result, serial.Text);
    }
}
