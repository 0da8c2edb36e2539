using SharpVmm.Boot;
using Microsoft.Extensions.Logging;
using SharpVmm.Configuration;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Devices.Legacy;
using SharpVmm.Devices.Pci;
using SharpVmm.Platform;

namespace SharpVmm;

/// <summary>Builds the <see cref="MicroVm"/> for a <see cref="VmConfig.BootSource"/>: a PC-like machine with the kernel loaded.</summary>
internal static class KernelVmBuilder
{
    /// <summary>Builds the VM; with <paramref name="restore"/>, around a snapshot's memory, without loading the kernel.</summary>
    public static MicroVm Build(VmConfig config, MicroVmOptions options, RestorePlan? restore = null)
    {
        BootSourceConfig source = config.BootSource!;
        // The files first: a bad path or a broken image is reported before KVM or any device is touched. A restored
        // VM's kernel is already in its memory.
        // The images are mapped, not read: loading copies only their loadable parts, straight from the page cache.
        using Sys.MappedFile? kernelFile = restore is null ? RawImageLoader.MapFile(source.KernelImagePath, "kernel") : null;
        using Sys.MappedFile? initrdFile = restore is not null || source.InitrdPath is null ? null : RawImageLoader.MapFile(source.InitrdPath, "initrd");
        ReadOnlyMemory<byte> kernel = kernelFile?.Memory ?? ReadOnlyMemory<byte>.Empty;
        ReadOnlyMemory<byte> initrd = initrdFile?.Memory ?? ReadOnlyMemory<byte>.Empty;
        KernelFormat format = restore is null ? DirectKernelBoot.Inspect(kernel.Span, source.KernelImagePath, source.Format) : default;
        bool virtioConsole = config.Console.Kind == ConsoleKind.Virtio;

        CappedOutputStream? consoleFile = ConsoleOutputFile.Open(config.Console);
        var unattached = new Queue<IVirtioDevice>();
        VirtualMachine? vm = null;
        try
        {
            // The virtio devices' host resources (image files, TAPs) are opened before KVM too.
            OpenVirtioDevices(config, options.ConsoleOutput, unattached);

            // Guest memory, the KVM VM, the irqchip and PIT, the vCPUs; the VM is the control its devices are given.
            VirtualMachineBuilder builder = PcPlatform.Machine(new VirtualMachineBuilder()
                .WithMemory(config.Machine.MemorySize)
                .WithVcpus(config.Machine.VcpuCount)
                .WithKvmDevice(options.KvmDevicePath)
                .WithHugePages(config.Machine.HugePages == HugePages.Transparent)
                .WithDirtyPageTracking(config.Machine.TrackDirtyPages));
            if (restore is not null)
            {
                builder.WithMemorySource(restore.Memory);
            }

            ILogger logger = options.LoggerFactory.CreateLogger<MicroVm>();
            builder.OnFirstUnclaimedAccess((bus, address, write) => MicroVm.LogUnclaimed(logger, bus, address, write));
            SerialOrderedTracer? tracer = options.ExitTracer is null ? null : new SerialOrderedTracer(options.ExitTracer);
            if (tracer is not null)
            {
                builder.WithExitTracer(tracer);
            }

            vm = builder.Build();
            if (config.Machine.TrackDirtyPages)
            {
                vm.Memory.StartWriteTracking(); // the VMM's own writes, which KVM's dirty log does not see
            }

            // Then each device, built with the VM's memory, interrupt lines and control, and put on its bus.
            VmDevices devices = vm.Devices;
            PcPlatform pc = PcPlatform.Attach(devices, virtioConsole ? Stream.Null : consoleFile ?? options.ConsoleOutput);
            if (tracer is not null)
            {
                tracer.Serial = pc.Serial;
            }
            else
            {
                _ = SerialWriteCoalescing.Attach(vm, pc.Serial, PcPlatform.Com1Port); // --trace-io wants every access as an exit
                _ = IndexRegisterCoalescing.Attach(vm, PcPlatform.RtcPort, 1, PcPlatform.RtcPort, CmosRtc.PortCount);
            }

            AcpiPlatform? acpi = config.Machine.Acpi ? AcpiPlatform.Attach(devices, wakeAlarm: pc.Rtc) : null;
            VirtioPlatform? virtio = AttachVirtio(devices, config, unattached);
            if (tracer is null && virtio?.HostBridge is not null)
            {
                // Without PCI the configuration ports are unclaimed, and the run loop answers a probe of them itself.
                _ = IndexRegisterCoalescing.Attach(vm, PciLayout.ConfigAddressPort, 4, PciLayout.ConfigAddressPort, PciLayout.ConfigPortCount);
            }

            if (config.Machine.TestDevices)
            {
                PcTestDevices.Attach(devices);
            }

            // Last, the kernel in memory and the vCPUs' start state (a restored VM gets its vCPUs' state from the snapshot).
            string commandLine = restore?.CommandLine ?? CommandLineFor(config, virtio, format);
            KernelBootResult? boot = restore is not null ? null : DirectKernelBoot.Prepare(vm, new KernelBootOptions
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
                Serial = pc.Serial,
                Pc = pc,
                Acpi = acpi,
            });
        }
        catch
        {
            // The VM owns what was attached to it; the devices that never reached it are ours to release.
            vm?.Dispose();
            while (unattached.TryDequeue(out IVirtioDevice? device))
            {
                device.Dispose();
            }

            consoleFile?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The kernel's command line: the configured one (or the console's default), <c>root=/dev/vda</c> for a root drive
    /// as Firecracker adds it, and what the virtio-mmio transport announces; in front of it, for a Linux kernel, what it
    /// need not probe on this machine (<see cref="PcPlatform.LinuxI8042Parameters"/>, and <see cref="PcPlatform.LinuxNoPciParameter"/>
    /// where no virtio-pci device made a PCI bus; the configured line can override them), and on this host what a Linux
    /// kernel needs.
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

        if (format is KernelFormat.BzImage or KernelFormat.Pvh)
        {
            // First, so that a parameter of the configured line that says otherwise wins.
            string machine = virtio?.HostBridge is null ? $"{PcPlatform.LinuxI8042Parameters} {PcPlatform.LinuxNoPciParameter}" : PcPlatform.LinuxI8042Parameters;
            commandLine = commandLine.Length > 0 ? $"{machine} {commandLine}" : machine;
        }

        return source.HostWorkarounds ? DirectKernelBoot.CommandLineFor(commandLine, format) : commandLine;
    }

    /// <summary>Creates the virtio device models in guest order; their host resources (image files, TAPs) are opened here, before KVM.</summary>
    private static void OpenVirtioDevices(VmConfig config, Stream consoleOutput, Queue<IVirtioDevice> devices)
    {
        if (config.Console.Kind == ConsoleKind.Virtio)
        {
            devices.Enqueue(new VirtioConsoleDevice(consoleOutput));
        }

        IReadOnlyList<DriveConfig> drives = config.DrivesInGuestOrder();
        for (int i = 0; i < drives.Count; i++)
        {
            DriveConfig drive = drives[i];
            string name = "vd" + (char)('a' + (i % 26));
            var disk = new VirtioBlockDevice(new RawDiskImage(drive.PathOnHost, drive.IsReadOnly), name, drive.Serial);
            drive.RateLimiter?.ApplyTo(disk.RateLimiter);
            devices.Enqueue(disk);
        }

        for (int i = 0; i < config.NetworkInterfaces.Count; i++)
        {
            NetworkInterfaceConfig net = config.NetworkInterfaces[i];
            byte[] mac = MacAddress.ParseOrDefault(net.GuestMac, i, $"network-interfaces[{i}].guest_mac");
            var nic = new VirtioNetDevice(TapDevice.Open(net.HostDevName), mac);
            net.RxRateLimiter?.ApplyTo(nic.RxRateLimiter);
            net.TxRateLimiter?.ApplyTo(nic.TxRateLimiter);
            devices.Enqueue(nic);
        }

        if (config.Entropy is not null)
        {
            var rng = new VirtioEntropyDevice();
            config.Entropy.RateLimiter?.ApplyTo(rng.RateLimiter);
            devices.Enqueue(rng);
        }

        if (config.Balloon is { } balloon)
        {
            devices.Enqueue(new VirtioBalloonDevice((uint)balloon.AmountMib, balloon.DeflateOnOom, balloon.StatsPollingIntervalSeconds));
        }

        if (config.Vsock is { } vsock)
        {
            devices.Enqueue(vsock.OpenDevice());
        }
    }

    /// <summary>Puts the opened virtio devices on the VM over the configured transport; each leaves the queue once the platform owns it.</summary>
    private static VirtioPlatform? AttachVirtio(VmDevices devices, VmConfig config, Queue<IVirtioDevice> opened)
    {
        if (opened.Count == 0)
        {
            return null;
        }

        VirtioPlatform virtio = VirtioPlatform.Attach(devices, config.Machine.VirtioTransport, config.Machine.EventFds);
        while (opened.TryPeek(out IVirtioDevice? device))
        {
            virtio.Add(device);
            opened.Dequeue();
        }

        return virtio;
    }
}
