using SharpVmm.Boot;
using Microsoft.Extensions.Logging;
using SharpVmm.Configuration;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Platform;

namespace SharpVmm;

/// <summary>Builds the <see cref="MicroVm"/> for a <see cref="VmConfig.BootSource"/>: a PC-like machine with the kernel loaded.</summary>
internal static class KernelVmBuilder
{
    public static MicroVm Build(VmConfig config, MicroVmOptions options)
    {
        BootSourceConfig source = config.BootSource!;
        // The files first: a bad path or a broken image is reported before KVM or any device is touched.
        byte[] kernel = RawImageLoader.ReadFile(source.KernelImagePath, "kernel");
        byte[] initrd = source.InitrdPath is null ? [] : RawImageLoader.ReadFile(source.InitrdPath, "initrd");
        KernelFormat format = DirectKernelBoot.Inspect(kernel, source.KernelImagePath, source.Format);
        bool virtioConsole = config.Console.Kind == ConsoleKind.Virtio;

        FileStream? consoleFile = config.Console.OutputPath is { } path ? ConsoleOutputFile.Open(path) : null;
        VirtioPlatform? virtio = null;
        VirtualMachine? vm = null;
        try
        {
            var builder = new VirtualMachineBuilder()
                .WithMemory(config.Machine.MemorySize)
                .WithVcpus(config.Machine.VcpuCount)
                .WithKvmDevice(options.KvmDevicePath)
                .WithHugePages(config.Machine.HugePages == HugePages.Transparent);
            ILogger logger = options.LoggerFactory.CreateLogger<MicroVm>();
            builder.OnFirstUnclaimedAccess((bus, address, write) => MicroVm.LogUnclaimed(logger, bus, address, write));
            PcPlatform pc = PcPlatform.AddTo(builder, virtioConsole ? Stream.Null : consoleFile ?? options.ConsoleOutput);
            AcpiPlatform? acpi = config.Machine.Acpi ? AcpiPlatform.AddTo(builder, wakeAlarm: pc.Rtc) : null;
            virtio = AddVirtioDevices(builder, config, options.ConsoleOutput);
            if (config.Machine.TestDevices)
            {
                PcTestDevices.AddTo(builder, builder.InterruptLine);
            }

            if (options.ExitTracer is not null)
            {
                builder.WithExitTracer(options.ExitTracer);
            }

            string commandLine = CommandLineFor(config, virtio, format);
            vm = builder.Build();
            KernelBootResult boot = DirectKernelBoot.Prepare(vm, new KernelBootOptions
            {
                Kernel = kernel,
                KernelName = source.KernelImagePath,
                Initrd = initrd,
                InitrdName = source.InitrdPath ?? "initrd",
                CommandLine = commandLine,
                Format = format,
                Acpi = acpi?.Layout,
                PciSlots = virtio?.PciSlots ?? [],
            });
            VirtioConsoleDevice? console = virtio?.Devices.OfType<VirtioConsoleDevice>().FirstOrDefault();
            return new MicroVm(config, vm, new MicroVmParts
            {
                ConsoleInput = MicroVm.ConsoleInputOf(pc.Serial, console),
                Logger = logger,
                ConsoleFile = consoleFile,
                Virtio = virtio,
                CommandLine = commandLine,
                Boot = boot,
                Keyboard = pc.Keyboard,
            });
        }
        catch
        {
            // The VM owns the devices once built; before that, they are ours to release.
            if (vm is not null)
            {
                vm.Dispose();
            }
            else
            {
                virtio?.Dispose();
            }

            consoleFile?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The kernel's command line: the configured one (or the console's default), <c>root=/dev/vda</c> for a root drive
    /// as Firecracker adds it, what the virtio-mmio transport announces, and on this host what a Linux kernel needs.
    /// </summary>
    private static string CommandLineFor(VmConfig config, VirtioPlatform? virtio, KernelFormat format)
    {
        BootSourceConfig source = config.BootSource!;
        string commandLine = source.BootArgs
            ?? (config.Console.Kind == ConsoleKind.Virtio ? BootSourceConfig.VirtioConsoleBootArgs : BootSourceConfig.DefaultBootArgs);
        if (config.Drives.FirstOrDefault(d => d.IsRootDevice) is { } root)
        {
            string device = root.PartUuid is { } uuid ? $"PARTUUID={uuid}" : "/dev/vda";
            commandLine = $"{commandLine} root={device} {(root.IsReadOnly ? "ro" : "rw")}";
        }

        if (virtio is { KernelCommandLine.Length: > 0 })
        {
            commandLine = $"{commandLine} {virtio.KernelCommandLine}";
        }

        return source.HostWorkarounds ? DirectKernelBoot.CommandLineFor(commandLine, format) : commandLine;
    }

    /// <summary>Creates the virtio devices; their host resources (image files, TAPs) are opened here, before KVM.</summary>
    private static VirtioPlatform? AddVirtioDevices(VirtualMachineBuilder builder, VmConfig config, Stream consoleOutput)
    {
        if (config.VirtioDeviceCount == 0)
        {
            return null;
        }

        VirtioPlatform virtio = VirtioPlatform.AddTo(builder, config.Machine.VirtioTransport, config.Machine.EventFds);
        try
        {
            if (config.Console.Kind == ConsoleKind.Virtio)
            {
                virtio.Add(new VirtioConsoleDevice(consoleOutput));
            }

            IReadOnlyList<DriveConfig> drives = config.DrivesInGuestOrder();
            for (int i = 0; i < drives.Count; i++)
            {
                DriveConfig drive = drives[i];
                string name = "vd" + (char)('a' + (i % 26));
                virtio.Add(new VirtioBlockDevice(new RawDiskImage(drive.PathOnHost, drive.IsReadOnly), name, drive.Serial));
            }

            for (int i = 0; i < config.NetworkInterfaces.Count; i++)
            {
                NetworkInterfaceConfig net = config.NetworkInterfaces[i];
                byte[] mac = MacAddress.ParseOrDefault(net.GuestMac, i, $"network-interfaces[{i}].guest_mac");
                virtio.Add(new VirtioNetDevice(TapDevice.Open(net.HostDevName), mac));
            }

            if (config.Entropy is not null)
            {
                virtio.Add(new VirtioEntropyDevice());
            }
        }
        catch
        {
            virtio.Dispose();
            throw;
        }

        return virtio;
    }
}
