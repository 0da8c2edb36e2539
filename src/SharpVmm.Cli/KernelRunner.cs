using SharpVmm.Boot;
using SharpVmm.Platform;

namespace SharpVmm.Cli;

/// <summary>Builds a PC-like VM for a kernel (<c>sharpvmm boot</c>), runs it with the serial console on stdio, and reports how it ended.</summary>
public sealed class KernelRunner
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Stream _serialOut;
    private readonly bool _consoleInput;

    /// <summary>Creates a runner; guest serial output goes to <paramref name="serialOut"/>, and with
    /// <paramref name="consoleInput"/> the host's stdin goes to the guest's serial port.</summary>
    public KernelRunner(TextWriter output, TextWriter error, Stream serialOut, bool consoleInput = true)
    {
        _out = output;
        _err = error;
        _serialOut = serialOut;
        _consoleInput = consoleInput;
    }

    /// <summary>Boots the kernel and returns the process exit code.</summary>
    public int Run(KernelBootSpec spec)
    {
        byte[] kernel = RawImageLoader.ReadFile(spec.KernelPath, "kernel");
        byte[] initrd = spec.InitrdPath is null ? [] : RawImageLoader.ReadFile(spec.InitrdPath, "initrd");
        KernelFormat format = DirectKernelBoot.Inspect(kernel, spec.KernelPath, spec.Format);
        string commandLine = spec.HostWorkarounds ? DirectKernelBoot.CommandLineFor(spec.CommandLine) : spec.CommandLine;

        var builder = new VirtualMachineBuilder()
            .WithMemory(spec.MemorySize)
            .WithVcpus(spec.Vcpus)
            .WithKvmDevice(Environment.GetEnvironmentVariable(RawGuestRunner.KvmDeviceVariable) is { Length: > 0 } dev ? dev : Kvm.KvmSystem.DefaultDevicePath);
        using FileStream? consoleFile = spec.ConsoleFile is null ? null : OpenConsoleFile(spec.ConsoleFile);
        PcPlatform pc = PcPlatform.AddTo(builder, consoleFile ?? _serialOut);
        AcpiPlatform? acpi = spec.Acpi ? AcpiPlatform.AddTo(builder) : null;
        if (spec.TraceIo)
        {
            builder.WithExitTracer(new IoTraceWriter(_out));
        }

        using VirtualMachine vm = builder.Build();
        KernelBootResult boot = DirectKernelBoot.Prepare(vm, new KernelBootOptions
        {
            Kernel = kernel,
            KernelName = spec.KernelPath,
            Initrd = initrd,
            InitrdName = spec.InitrdPath ?? "initrd",
            CommandLine = commandLine,
            Format = format,
            Acpi = acpi?.Layout,
        });
        _err.WriteLine($"sharpvmm: booting {spec.KernelPath} ({FormatName(boot.Format)}, entry 0x{boot.EntryPoint.Value:x}) with {spec.Vcpus} vCPU(s), " +
            $"{spec.MemorySize >> 20} MiB; command line: {commandLine}");
        if (boot.RefusedMsrs.Count > 0)
        {
            _err.WriteLine($"sharpvmm: note: this host's KVM refused boot MSRs {string.Join(", ", boot.RefusedMsrs.Select(m => $"0x{m:x}"))}");
        }

        using SerialConsoleInput? input = _consoleInput && spec.ConsoleFile is null ? new SerialConsoleInput(pc.Serial, vm.Stop, _err) : null;
        if (input is { IsTerminal: true })
        {
            _err.Write("sharpvmm: console on this terminal; Ctrl-A x quits, Ctrl-A h for help\r\n");
        }

        input?.Start();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        VmRunResult result = vm.Run(new VmRunOptions { MaxExits = spec.MaxExits, TimeLimit = spec.TimeLimit });
        TimeSpan wall = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        _out.Flush();
        TimeSpan handling = TimeSpan.FromTicks(vm.Vcpus.Sum(v => v.TimeHandlingExits.Ticks));
        _err.WriteLine(System.FormattableString.Invariant(
            $"sharpvmm: ran {wall.TotalSeconds:F2} s, {result.ExitCount} exits, {handling.TotalMilliseconds:F1} ms handling them in the VMM outside KVM_RUN ({100 * handling.TotalSeconds / Math.Max(wall.TotalSeconds * vm.Vcpus.Count, 1e-9):F2} % of vCPU time)"));
        return Report(result);
    }

    private static FileStream OpenConsoleFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--console file:{path}: {ex.Message}");
        }
    }

    private static string FormatName(KernelFormat format) => format switch
    {
        KernelFormat.BzImage => "bzImage, 64-bit boot protocol",
        KernelFormat.Pvh => "ELF, PVH entry",
        KernelFormat.Multiboot => "Multiboot",
        _ => format.ToString(),
    };

    private int Report(VmRunResult result)
    {

        bool ok = result.IsSuccess || result.Reason == VmStopReason.GuestDebugExit;
        _err.WriteLine(ok ? $"sharpvmm: {result.Summary}" : $"sharpvmm: error: {result.Summary}");
        if (!ok && result.Report is not null)
        {
            _err.Write(result.Report);
        }

        return ExitCodes.For(result);
    }
}
