using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Platform;
using SharpVmm.X86;

namespace SharpVmm.Configuration;

/// <summary>The rules of <see cref="VmConfig.Validate"/>: each broken one is reported with the field's path.</summary>
internal static class VmConfigValidator
{
    /// <summary>PCI slots on bus 0 after the host bridge.</summary>
    private const int MaxPciDevices = 31;

    public static void Validate(VmConfig config, bool checkFiles, bool requireBootSource = true)
    {
        ValidateMachine(config.Machine);
        switch (config.BootSource, config.RawGuest)
        {
            case (null, null) when requireBootSource:
                throw new VmConfigurationException("boot-source", "a VM needs a kernel to boot (or a raw-guest image to run)");
            case ({ }, { }):
                throw new VmConfigurationException("raw-guest", "give either boot-source or raw-guest, not both");
            case ({ } boot, null):
                ValidateBootSource(boot, checkFiles);
                break;
            case (null, { } raw):
                ValidateRawGuest(raw, config, checkFiles);
                break;
        }

        ValidateDrives(config.Drives, checkFiles);
        ValidateNetworks(config.NetworkInterfaces);
        ValidateConsole(config.Console);
        config.Entropy?.RateLimiter?.Validate("entropy.rate_limiter");
        BalloonConfigValidator.Validate(config.Balloon, config.Machine);
        VsockConfigValidator.Validate(config.Vsock, checkFiles);
        int devices = config.VirtioDeviceCount;
        int room = config.Machine.VirtioTransport == VirtioTransport.Mmio ? VirtioMmioLayout.MaxDevices : MaxPciDevices;
        if (devices > room)
        {
            throw new VmConfigurationException("machine-config.virtio_transport",
                $"{config.Machine.VirtioTransport.ToString().ToLowerInvariant()} has room for {room} virtio devices and this VM has {devices}" +
                (config.Machine.VirtioTransport == VirtioTransport.Mmio ? " (the PCI transport has room for 31)" : ""));
        }
    }

    private static void ValidateMachine(MachineConfig machine)
    {
        if (machine.VcpuCount is < 1 or > MachineConfig.MaxVcpus)
        {
            throw new VmConfigurationException("machine-config.vcpu_count", $"must be between 1 and {MachineConfig.MaxVcpus}, not {machine.VcpuCount}");
        }

        if (machine.Smt)
        {
            throw new VmConfigurationException("machine-config.smt", "SharpVmm gives the guest no SMT siblings; only false is supported");
        }

        if (machine.CpuTemplate is { } template && template != "None")
        {
            throw new VmConfigurationException("machine-config.cpu_template", $"SharpVmm has no CPU templates; '{template}' is not supported (use None)");
        }

        if (!Enum.IsDefined(machine.HugePages) || machine.HugePages == HugePages.Hugetlbfs2M)
        {
            throw new VmConfigurationException("machine-config.huge_pages", "hugetlbfs pages (2M) are not supported; use None or Transparent");
        }

        ulong maxMib = VirtualMachineBuilder.MaxMemorySize >> 20;
        if (machine.MemSizeMib < 1 || machine.MemSizeMib > maxMib)
        {
            throw new VmConfigurationException("machine-config.mem_size_mib", $"must be between 1 and {maxMib} MiB, not {machine.MemSizeMib}");
        }
    }

    private static void ValidateBootSource(BootSourceConfig boot, bool checkFiles)
    {
        RequireFile("boot-source.kernel_image_path", boot.KernelImagePath, checkFiles);
        if (boot.InitrdPath is not null)
        {
            RequireFile("boot-source.initrd_path", boot.InitrdPath, checkFiles);
        }

        if (boot.BootArgs is { } args && args.Any(c => c is '\0' or '\n' or '\r'))
        {
            throw new VmConfigurationException("boot-source.boot_args", "must be one line with no NUL characters");
        }

        if (!Enum.IsDefined(boot.Format))
        {
            throw new VmConfigurationException("boot-source.format", $"unknown format {boot.Format}");
        }
    }

    private static void ValidateRawGuest(RawGuestConfig raw, VmConfig config, bool checkFiles)
    {
        if (!raw.ImagePath.StartsWith(BuiltInGuests.Prefix, StringComparison.Ordinal))
        {
            RequireFile("raw-guest.image_path", raw.ImagePath, checkFiles);
        }
        else if (BuiltInGuests.Find(raw.ImagePath) is null)
        {
            throw new VmConfigurationException("raw-guest.image_path", $"no built-in guest '{raw.ImagePath}' (known: {string.Join(", ", BuiltInGuests.Names)})");
        }

        try
        {
            _ = GuestEntryPoint.For(raw);
        }
        catch (FormatException ex)
        {
            throw new VmConfigurationException("raw-guest.entry", ex.Message, ex);
        }

        foreach (string name in raw.Registers.Keys)
        {
            if (!GeneralRegisters.Names.Contains(name))
            {
                throw new VmConfigurationException($"raw-guest.registers.{name}", $"unknown register (known: {string.Join(", ", GeneralRegisters.Names)})");
            }
        }

        if (config.VirtioDeviceCount > 0)
        {
            throw new VmConfigurationException(config.Drives.Count > 0 ? "drives" : config.NetworkInterfaces.Count > 0 ? "network-interfaces" : config.Balloon is not null ? "balloon" : "entropy",
                "a raw guest has no PCI bus or interrupt controller for virtio devices");
        }

        if (!Enum.IsDefined(raw.Mode))
        {
            throw new VmConfigurationException("raw-guest.mode", $"unknown mode {raw.Mode}");
        }
    }

    private static void ValidateDrives(IReadOnlyList<DriveConfig> drives, bool checkFiles)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int roots = 0;
        for (int i = 0; i < drives.Count; i++)
        {
            DriveConfig drive = drives[i];
            string at = $"drives[{i}]";
            if (drive.DriveId.Length == 0 || !drive.DriveId.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new VmConfigurationException($"{at}.drive_id", $"'{drive.DriveId}' must be letters, digits and '_'");
            }

            if (!ids.Add(drive.DriveId))
            {
                throw new VmConfigurationException($"{at}.drive_id", $"'{drive.DriveId}' is used by an earlier drive");
            }

            if (drive.Socket is not null)
            {
                throw new VmConfigurationException($"{at}.socket", "vhost-user block devices are not supported; give path_on_host");
            }

            RequireFile($"{at}.path_on_host", drive.PathOnHost, checkFiles);
            if (drive.CacheType is not (null or "Unsafe" or "Writeback"))
            {
                throw new VmConfigurationException($"{at}.cache_type", $"must be Unsafe or Writeback, not '{drive.CacheType}'");
            }

            if (drive.IoEngine is not (null or "Sync" or "Async"))
            {
                throw new VmConfigurationException($"{at}.io_engine", $"must be Sync or Async, not '{drive.IoEngine}'");
            }

            drive.RateLimiter?.Validate($"{at}.rate_limiter");
            if (drive.IsRootDevice && ++roots > 1)
            {
                throw new VmConfigurationException($"{at}.is_root_device", "only one drive can be the root device");
            }

            if (drive.Serial is { } serial && (serial.Length is 0 or > DriveConfig.MaxSerialLength || serial.Any(c => c is < ' ' or > '~')))
            {
                throw new VmConfigurationException($"{at}.serial", $"must be 1 to {DriveConfig.MaxSerialLength} printable ASCII characters, not '{serial}'");
            }
        }
    }

    private static void ValidateNetworks(IReadOnlyList<NetworkInterfaceConfig> networks)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var macs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < networks.Count; i++)
        {
            NetworkInterfaceConfig net = networks[i];
            string at = $"network-interfaces[{i}]";
            if (net.IfaceId.Length == 0 || !ids.Add(net.IfaceId))
            {
                throw new VmConfigurationException($"{at}.iface_id", net.IfaceId.Length == 0 ? "must not be empty" : $"'{net.IfaceId}' is used by an earlier interface");
            }

            string tap = net.HostDevName;
            if (tap.Length is 0 or > NetworkInterfaceConfig.MaxHostDevNameLength || tap.Any(c => c is '/' or < '!' or > '~'))
            {
                throw new VmConfigurationException($"{at}.host_dev_name",
                    $"'{tap}' is not an interface name (1 to {NetworkInterfaceConfig.MaxHostDevNameLength} printable characters, no '/' or spaces)");
            }

            if (net.Mtu is not null)
            {
                throw new VmConfigurationException($"{at}.mtu", "offering an MTU (VIRTIO_NET_F_MTU) is not supported yet; leave it out");
            }

            net.RxRateLimiter?.Validate($"{at}.rx_rate_limiter");
            net.TxRateLimiter?.Validate($"{at}.tx_rate_limiter");
            byte[] mac = MacAddress.ParseOrDefault(net.GuestMac, i, $"{at}.guest_mac");
            if (!macs.Add(Convert.ToHexString(mac)))
            {
                throw new VmConfigurationException($"{at}.guest_mac", $"{MacAddress.Format(mac)} is used by an earlier interface");
            }
        }
    }

    private static void ValidateConsole(ConsoleConfig console)
    {
        if (!Enum.IsDefined(console.Kind))
        {
            throw new VmConfigurationException("console.kind", $"unknown console {console.Kind}");
        }

        if (console.OutputLimitBytes < 1)
        {
            throw new VmConfigurationException("console.output_limit_bytes", $"must be at least 1 (got {console.OutputLimitBytes})");
        }

        if (console.OutputPath is { } path)
        {
            if (console.Kind != ConsoleKind.Serial)
            {
                throw new VmConfigurationException("console.output_path", "only COM1's output (kind serial) can go to a file");
            }

            if (path.Length == 0)
            {
                throw new VmConfigurationException("console.output_path", "must name a file");
            }
        }
    }

    private static void RequireFile(string field, string path, bool checkFiles)
    {
        if (path.Length == 0)
        {
            throw new VmConfigurationException(field, "must name a file");
        }

        if (checkFiles && !File.Exists(path))
        {
            throw new VmConfigurationException(field, Directory.Exists(path) ? $"{path} is a directory, not a file" : $"{path} does not exist");
        }
    }
}
