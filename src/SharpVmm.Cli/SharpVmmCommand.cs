using System.CommandLine;
using SharpVmm.Cli.Parsing;
using SharpVmm.Configuration;
using SharpVmm.Platform;
using SharpVmm.X86;

namespace SharpVmm.Cli;

/// <summary>The <c>sharpvmm</c> command tree.</summary>
public sealed class SharpVmmCommand
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Stream _serialOut;

    /// <summary>Creates the command tree writing to the given streams.</summary>
    public SharpVmmCommand(TextWriter output, TextWriter error, Stream serialOut)
    {
        _out = output;
        _err = error;
        _serialOut = serialOut;
    }

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code.</summary>
    public int Invoke(string[] args)
    {
        RootCommand root = CreateRoot();
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                _err.WriteLine($"sharpvmm: error: {ParseErrorText.Describe(error)}");
            }

            _err.WriteLine("Run 'sharpvmm --help' for usage.");
            return ExitCodes.Usage;
        }

        return parse.Invoke(new InvocationConfiguration { Output = _out, Error = _err, EnableDefaultExceptionHandler = false });
    }

    private RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "SharpVmm: a KVM virtual machine monitor.\n\n" +
            "Examples:\n" +
            "  sharpvmm demo add                 the classic 'add two registers' guest: prints 4\n" +
            "  sharpvmm demo kvmsample --max-exits 5\n" +
            "  sharpvmm run guest.bin --mode real --load-address 0x10000 --entry 0x1000:0x0 --trace-io --max-exits 5\n" +
            "  sharpvmm run demo-add.bin --load-address 0x1000 --entry 0x0:0x1000 --reg rax=2 --reg rbx=2\n" +
            "  sharpvmm boot --kernel bzImage --initrd initramfs.cpio --append 'console=ttyS0' --cpus 2 --mem 256M\n" +
            "  sharpvmm boot --kernel vmlinux --disk root.ext4 --rng --append 'console=ttyS0 root=/dev/vda rw'\n" +
            "  sharpvmm boot --kernel vmlinux --virtio mmio --net tap=tap0 --append 'console=ttyS0 ip=dhcp'\n\n" +
            "Exit codes: 0 the guest halted, powered off or reset, or --max-exits or Ctrl-A x stopped it; 124 --time-limit stopped it;\n" +
            "130 SIGTERM or SIGINT stopped 'run' or 'boot' (the vCPUs stopped, disk requests in flight finished, writable disks synced);\n" +
            "(V << 1) | 1 the guest wrote V to isa-debug-exit (port 0xf4); 1-11 an error (2 bad arguments, 3 no usable /dev/kvm,\n" +
            "4 bad image, 5 load address outside memory, 6 triple fault, 7 entry failure, 8 KVM internal error, 9 unhandled exit,\n" +
            "10 host system call failed, 11 device back-end failed; 1 a bug in SharpVmm).");
        root.Subcommands.Add(CreateRun());
        root.Subcommands.Add(CreateBoot());
        root.Subcommands.Add(CreateInitramfs());
        root.Subcommands.Add(CreateDemo());
        root.Subcommands.Add(new FirecrackerCommand(_out, _err, _serialOut).Create());
        var snapshots = new SnapshotCommands(_out, _err, _serialOut);
        root.Subcommands.Add(snapshots.CreateSnapshot());
        root.Subcommands.Add(snapshots.CreateRestore());
        return root;
    }

    private Command CreateRun()
    {
        var image = new Argument<string?>("IMAGE")
        {
            Description = "Raw binary image, copied byte for byte into guest memory (default: the built-in demo 1 guest, run as 'demo add')",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var mode = new Option<string>("--mode")
        {
            Description = "CPU mode at entry, always CPL0: real (16-bit), protected (32-bit flat, no paging), long (64-bit, first 4 GiB identity-mapped)",
            DefaultValueFactory = _ => "real",
        };
        mode.AcceptOnlyFromAmong("real", "protected", "long");
        var load = new Option<string>("--load-address") { Description = "Guest-physical address to load the image at", DefaultValueFactory = _ => "0x10000" };
        var entry = new Option<string?>("--entry") { Description = "Entry point: SEG:OFF in real mode (default LOAD/16:0), an address otherwise (default LOAD)" };
        var regs = new Option<string[]>("--reg") { Description = "Initial register, NAME=VALUE (repeatable), e.g. --reg rax=2", Arity = ArgumentArity.ZeroOrMore };
        var testDevices = TestDevicesOption("on this command the interrupt-line ports reach nothing: a raw guest has no interrupt controller");
        var common = CommonRunOptions.Create();
        var files = new ConfigFileOptions();
        var command = new Command("run", "Run a raw binary guest image; its writes to the serial port 0x3f8 go to stdout, and HLT ends the run")
        {
            image, mode, load, entry, regs, testDevices,
        };
        common.AddTo(command);
        files.AddTo(command);
        command.SetAction(parse => Guarded(() =>
        {
            string? vmOption = parse.GetValue(image) is not null ? "IMAGE" : FirstGiven(parse, mode, load, entry, regs, testDevices)
                ?? (common.SetsMachine(parse) ? "--mem/--cpus" : null);
            VmConfig config = files.Resolve(parse, () =>
            {
                string? path = parse.GetValue(image);
                string[] extra = parse.GetValue(regs) ?? [];
                RawGuestConfig raw = path is null
                    ? DemoAddGuest() with { Registers = WithRegisters(DemoAddGuest().Registers, extra) }
                    : new RawGuestConfig
                    {
                        ImagePath = path,
                        Mode = parse.GetValue(mode) switch { "protected" => CpuMode.Protected32, "long" => CpuMode.Long64, _ => CpuMode.Real },
                        LoadAddress = NumberParser.ParseUnsigned(parse.GetValue(load)!, "--load-address"),
                        Entry = parse.GetValue(entry) is { } text ? EntryPoint.Parse(text).ToString() : null,
                        Registers = WithRegisters(new Dictionary<string, ulong>(), extra),
                    };
                return new VmConfig
                {
                    Machine = common.ApplyTo(new MachineConfig { TestDevices = parse.GetValue(testDevices) }, parse),
                    RawGuest = raw,
                };
            }, vmOption);
            if (files.Print(parse, config, _out))
            {
                return ExitCodes.Success;
            }

            if (config.RawGuest is not { } guest)
            {
                throw new UsageException("this configuration describes a kernel (boot-source): run it with 'sharpvmm boot --config-file'");
            }

            try
            {
                _ = GuestEntryPoint.For(guest);
            }
            catch (FormatException ex)
            {
                throw new UsageException($"--entry: {ex.Message}");
            }

            bool serialInput = !guest.ImagePath.StartsWith(BuiltInGuests.Prefix, StringComparison.Ordinal);
            return Runner().Run(config, common.ReadControls(parse), serialInput);
        }));
        return command;
    }

    private Command CreateBoot()
    {
        var kernel = new Option<string>("--kernel", "-k")
        {
            Description = "Kernel image: a Linux bzImage (64-bit boot protocol), an ELF vmlinux with a PVH entry note, or a Multiboot kernel (the initrd becomes its module); the format is detected. Required unless --config-file is given",
        };
        var initrd = new Option<string?>("--initrd", "-i") { Description = "Initial ramdisk (cpio archive, optionally compressed)" };
        var append = new Option<string>("--append", "-a")
        {
            Description = "Kernel command line (on a kvm_pvm host the parameters --no-host-workarounds describes are put in front of a Linux kernel's; a Multiboot kernel gets exactly this)",
            DefaultValueFactory = _ => BootSourceConfig.DefaultBootArgs,
        };
        var format = new Option<string>("--format") { Description = "Force the kernel format: auto, bzimage, pvh or multiboot", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong("auto", "bzimage", "pvh", "multiboot");
        var noWorkarounds = new Option<bool>("--no-host-workarounds")
        {
            Description = "Do not add the kernel parameters a Linux kernel (bzImage or PVH) needs on a host without hardware virtualization (" +
                "'" + DirectKernelBoot.PvmLinuxWorkaroundParameters + "' on kvm_pvm hosts; never added for Multiboot kernels)",
        };
        var console = new Option<string>("--console")
        {
            Description = "The guest's console: stdio (COM1 on stdout/stdin), file:PATH (COM1 output to a file) or virtio (a virtio-console, hvc0, on stdio; the default command line then says console=hvc0)",
            DefaultValueFactory = _ => "stdio",
        };
        var noAcpi = new Option<bool>("--no-acpi") { Description = "No ACPI tables or ACPI devices (the kernel then finds its CPUs in the MP table)" };
        var disks = new Option<string[]>("--disk")
        {
            Description = "A raw disk image as a virtio-blk disk: PATH[,readonly][,serial=ID][,root] (repeatable; the first is /dev/vda; root makes it /dev/vda and adds root=/dev/vda rw, or ro, to the command line)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var nets = new Option<string[]>("--net")
        {
            Description = "A virtio-net card on a host TAP interface: tap=NAME[,mac=XX:XX:XX:XX:XX:XX] (repeatable)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var rng = new Option<bool>("--rng") { Description = "A virtio-rng entropy device fed from the host's getrandom(2)" };
        var balloon = new Option<string>("--balloon") { Description = "A virtio-balloon device: amount_mib=N[,deflate_on_oom=on|off][,stats_polling_interval_s=N] (Firecracker's balloon)" };
        var vsock = new Option<string>("--vsock")
        {
            Description = "A virtio-vsock device on Unix sockets, as Firecracker's: cid=N,uds=PATH (host processes connect to PATH and write 'CONNECT <port>'; guest connections to port P reach PATH_P; PATH must not exist)",
        };
        var virtio = new Option<string>("--virtio")
        {
            Description = "Transport of the virtio devices: pci (virtio-pci modern behind a PCI host bridge, MSI-X) or mmio (virtio-mmio, announced on the command line)",
            DefaultValueFactory = _ => "pci",
        };
        virtio.AcceptOnlyFromAmong("pci", "mmio");
        var noEventFds = new Option<bool>("--no-eventfd")
        {
            Description = "Deliver virtio notifications through VM exits and interrupt ioctls instead of KVM's ioeventfd/irqfd (for comparison)",
        };
        var testDevices = TestDevicesOption("line n is GSI n: ISA IRQ n, or IOAPIC pin n above 15");
        var common = CommonRunOptions.Create(defaultMemory: "256M");
        var files = new ConfigFileOptions();
        var command = new Command("boot",
            "Boot a kernel directly, with no firmware (like QEMU -kernel or Firecracker): PC devices (COM1 on stdio, i8042, RTC, PIT, " +
            "PIC/IOAPIC/LAPIC), an MP table for SMP, ACPI, and virtio disks, network cards, console and entropy over PCI or MMIO. A guest reset, reboot or power-off ends the VMM with exit code 0, a --time-limit stop with 124, SIGTERM or SIGINT with 130 once the writable disks are synced. On a terminal, Ctrl-A x quits.")
        {
            kernel, initrd, append, console, format, noWorkarounds, noAcpi, disks, nets, rng, balloon, vsock, virtio, noEventFds, testDevices,
        };
        common.AddTo(command);
        files.AddTo(command);
        command.SetAction(parse => Guarded(() =>
        {
            string? vmOption = FirstGiven(parse, kernel, initrd, append, console, format, noWorkarounds, noAcpi, disks, nets, rng, balloon, vsock, virtio, noEventFds, testDevices)
                ?? (common.SetsMachine(parse) ? "--mem/--cpus" : null);
            VmConfig config = files.Resolve(parse, () =>
            {
                string kernelPath = parse.GetValue(kernel) ?? throw new UsageException("--kernel is required (or --config-file)");
                string consoleValue = parse.GetValue(console)!;
                bool virtioConsole = consoleValue == "virtio";
                return new VmConfig
                {
                    Machine = common.ApplyTo(new MachineConfig
                    {
                        Acpi = !parse.GetValue(noAcpi),
                        VirtioTransport = parse.GetValue(virtio) == "mmio" ? Platform.VirtioTransport.Mmio : Platform.VirtioTransport.Pci,
                        EventFds = !parse.GetValue(noEventFds),
                        TestDevices = parse.GetValue(testDevices),
                    }, parse),
                    BootSource = new BootSourceConfig
                    {
                        KernelImagePath = kernelPath,
                        InitrdPath = parse.GetValue(initrd),
                        BootArgs = parse.GetResult(append) is null or { Implicit: true } ? null : parse.GetValue(append),
                        Format = parse.GetValue(format) switch { "bzimage" => Platform.KernelFormat.BzImage, "pvh" => Platform.KernelFormat.Pvh, "multiboot" => Platform.KernelFormat.Multiboot, _ => Platform.KernelFormat.Auto },
                        HostWorkarounds = !parse.GetValue(noWorkarounds),
                    },
                    Drives = [.. (parse.GetValue(disks) ?? []).Select((d, i) => DiskOption.Parse(d).ToDrive(i))],
                    NetworkInterfaces = [.. (parse.GetValue(nets) ?? []).Select((n, i) => NetOption.Parse(n, i).ToInterface(i))],
                    Entropy = parse.GetValue(rng) ? new EntropyConfig() : null,
                    Balloon = parse.GetValue(balloon) is { } balloonValue ? BalloonOption.Parse(balloonValue) : null,
                    Vsock = VsockOption.Parse(parse.GetValue(vsock)),
                    Console = new ConsoleConfig
                    {
                        Kind = virtioConsole ? ConsoleKind.Virtio : ConsoleKind.Serial,
                        OutputPath = virtioConsole ? null : ParseConsole(consoleValue),
                    },
                };
            }, vmOption);
            if (files.Print(parse, config, _out))
            {
                return ExitCodes.Success;
            }

            if (config.BootSource is null)
            {
                throw new UsageException("this configuration describes a raw guest (raw-guest): run it with 'sharpvmm run --config-file'");
            }

            return new KernelRunner(_out, _err, _serialOut).Run(config, common.ReadControls(parse));
        }));
        return command;
    }

    /// <summary>The first of <paramref name="options"/> given on the command line (by name), or null.</summary>
    private static string? FirstGiven(ParseResult parse, params Option[] options) =>
        options.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false })?.Name;

    private static Dictionary<string, ulong> WithRegisters(IReadOnlyDictionary<string, ulong> registers, string[] assignments)
    {
        var all = new Dictionary<string, ulong>(registers);
        foreach (RegisterAssignment assignment in assignments.Select(RegisterAssignment.Parse))
        {
            all[assignment.Name] = assignment.Value;
        }

        return all;
    }

    private static Option<bool> TestDevicesOption(string lines) => new("--test-devices")
    {
        Description = "Add QEMU's pc-testdev for test guests: a 32-bit scratch register at ports 0xe0 and 0xe8, a page-flush port at 0xe4, " +
            $"interrupt-line ports at 0x2000-0x2017 (a write of V to 0x2000+n drives line n to V != 0; {lines}) and 64 KiB of device memory at 0xff000000",
    };

    private static string? ParseConsole(string value) => value switch
    {
        "stdio" => null,
        _ when value.StartsWith("file:", StringComparison.Ordinal) && value.Length > 5 => value[5..],
        _ => throw new UsageException($"--console must be stdio, file:PATH or virtio, not '{value}'"),
    };

    private Command CreateInitramfs()
    {
        var output = new Argument<string>("OUTPUT") { Description = "The archive to write (newc cpio, uncompressed)" };
        var busybox = new Option<string>("--busybox")
        {
            Description = "Statically linked busybox to include (Debian's busybox-static)",
            DefaultValueFactory = _ => Boot.Initramfs.BusyboxInitramfs.DefaultBusyboxPath,
        };
        var init = new Option<string?>("--init") { Description = "File to use as /init (default: mount /proc, /sys, /dev and start a shell; leaving it reboots)" };
        var add = new Option<string[]>("--add")
        {
            Description = "Also put host file SRC into the archive at guest path DEST, as an executable: SRC=DEST (repeatable)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("initramfs", "Write a small busybox initramfs for 'boot --initrd'")
        {
            output, busybox, init, add,
        };
        command.SetAction(parse => Guarded(() =>
        {
            string? initPath = parse.GetValue(init);
            var archive = new Boot.Initramfs.BusyboxInitramfs
            {
                BusyboxPath = parse.GetValue(busybox)!,
                InitScript = initPath is null ? Boot.Initramfs.BusyboxInitramfs.DefaultInitScript
                    : System.Text.Encoding.UTF8.GetString(Boot.RawImageLoader.ReadFile(initPath, "init script")),
                ExtraFiles = InitramfsAdditions(parse.GetValue(add) ?? []),
            };
            byte[] bytes = archive.ToArray();
            string path = parse.GetValue(output)!;
            try
            {
                File.WriteAllBytes(path, bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write {path}: {ex.Message}");
            }

            _err.WriteLine($"sharpvmm: wrote {path} ({bytes.Length} bytes)");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Dictionary<string, byte[]> InitramfsAdditions(string[] additions)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string addition in additions)
        {
            int equals = addition.LastIndexOf('=');
            if (equals <= 0 || equals == addition.Length - 1 || addition[equals + 1] != '/')
            {
                throw new UsageException($"--add {addition}: expected SRC=DEST with an absolute guest path, e.g. --add ./tool=/bin/tool");
            }

            files[addition[(equals + 1)..]] = Boot.RawImageLoader.ReadFile(addition[..equals], "file to add");
        }

        return files;
    }

    private Command CreateDemo()
    {
        var demo = new Command("demo", "Run one of the two classic KVM demos, built in");

        var addCommon = CommonRunOptions.Create();
        var add = new Command("add", "Demo 1: 16-bit code at 0x1000 adds AL=2 and BL=2 and writes the digit and a newline to port 0x3f8, then HLT");
        addCommon.AddTo(add);
        add.SetAction(parse => Guarded(() => Runner().Run(
            new VmConfig { Machine = addCommon.ApplyTo(new MachineConfig(), parse), RawGuest = DemoAddGuest() }, addCommon.ReadControls(parse), serialInput: false)));

        var sampleCommon = CommonRunOptions.Create(defaultMaxExits: 10, traceIoAlwaysOn: true);
        var sample = new Command("kvmsample", "Demo 2: a real-mode loop at 1000:0000 writing a counter to port 0x10; prints each exit (default: stop after 10)");
        sampleCommon.AddTo(sample);
        sample.SetAction(parse => Guarded(() => Runner().Run(new VmConfig
        {
            Machine = sampleCommon.ApplyTo(new MachineConfig(), parse),
            RawGuest = new RawGuestConfig { ImagePath = BuiltInGuests.KvmSamplePath, LoadAddress = 0x10000, Entry = "0x1000:0x0" },
        }, sampleCommon.ReadControls(parse), serialInput: false)));

        demo.Subcommands.Add(add);
        demo.Subcommands.Add(sample);
        return demo;
    }

    private static RawGuestConfig DemoAddGuest() => new()
    {
        ImagePath = BuiltInGuests.DemoAddPath,
        LoadAddress = 0x1000,
        Entry = "0x0:0x1000",
        Registers = new Dictionary<string, ulong> { ["rax"] = 2, ["rbx"] = 2 },
    };

    private RawGuestRunner Runner() => new(_out, _err, _serialOut);

    private int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex)
        {
            (int code, string message) = CliErrors.Describe(ex);
            _out.Flush();
            _err.WriteLine($"sharpvmm: error: {message}");
            return code;
        }
    }
}
