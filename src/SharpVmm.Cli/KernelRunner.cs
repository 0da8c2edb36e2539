using SharpVmm.Configuration;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Balloon;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
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

    /// <summary>
    /// Boots the kernel <paramref name="config"/> describes and returns the process exit code. SIGTERM or SIGINT stops
    /// it in order (<see cref="SignalShutdown"/>): <see cref="ExitCodes.StoppedBySignal"/>.
    /// </summary>
    public int Run(VmConfig config, RunControls controls)
    {
        controls = GdbStub.WithConfiguredStub(controls, config);
        using Microsoft.Extensions.Logging.ILoggerFactory logging = controls.CreateLoggerFactory(_err);
        using MicroVm micro = MicroVm.Create(config, new MicroVmOptions
        {
            LoggerFactory = logging,
            ConsoleOutput = _serialOut,
            KvmDevicePath = RawGuestRunner.KvmDevicePath(),
            ExitTracer = controls.TraceIo ? new IoTraceWriter(_out) : null,
        });
        long builtAt = System.Diagnostics.Stopwatch.GetTimestamp();
        VirtualMachine vm = micro.Machine;
        KernelBootResult boot = micro.KernelBoot!;
        _err.WriteLine($"sharpvmm: booting {config.BootSource!.KernelImagePath} ({FormatName(boot.Format)}, entry 0x{boot.EntryPoint.Value:x}) " +
            $"with {config.Machine.VcpuCount} vCPU(s), {config.Machine.MemSizeMib} MiB; command line: {micro.KernelCommandLine}");
        if (boot.RefusedMsrs.Count > 0)
        {
            _err.WriteLine($"sharpvmm: note: this host's KVM refused boot MSRs {string.Join(", ", boot.RefusedMsrs.Select(m => $"0x{m:x}"))}");
        }

        using var shutdown = new SignalShutdown(micro);
        using SerialConsoleInput? input = _consoleInput && config.Console.OutputPath is null ? new SerialConsoleInput(micro.SendConsoleInput, vm.Stop, _err) : null;
        if (input is { IsTerminal: true })
        {
            _err.Write("sharpvmm: console on this terminal; Ctrl-A x quits, Ctrl-A h for help\r\n");
        }

        using Gdb.GdbServer? gdb = GdbStub.StartIfAsked(controls, micro, logging, _err);
        input?.Start();
        Diagnostics.ExitStatistics? exitStats = controls.ExitStats ? vm.CollectExitStatistics() : null;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        VmRunResult result = micro.Run(controls.ToRunOptions());
        TimeSpan wall = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        _out.Flush();
        TimeSpan handling = TimeSpan.FromTicks(vm.Vcpus.Sum(v => v.TimeHandlingExits.Ticks));
        _err.WriteLine(System.FormattableString.Invariant(
            $"sharpvmm: ran {wall.TotalSeconds:F2} s, {result.ExitCount} exits, {handling.TotalMilliseconds:F1} ms handling them in the VMM outside KVM_RUN ({100 * handling.TotalSeconds / Math.Max(wall.TotalSeconds * vm.Vcpus.Count, 1e-9):F2} % of vCPU time)"));
        if (exitStats is not null)
        {
            ExitStatisticsReport.Write(exitStats, _err);
        }

        if (controls.BootTimer)
        {
            _err.WriteLine(StartupClock.Describe(builtAt, vm.Vcpus[0].FirstRunAt)); // the boot CPU runs the first instruction
        }

        if (vm.EmulationFailures.Summary() is string emulated)
        {
            _err.WriteLine($"sharpvmm: {emulated}");
        }

        if (micro.Virtio is not null)
        {
            ReportDevices(micro.Virtio);
        }

        return shutdown.Finish(result, _err) ?? Report(result);
    }

    private void ReportDevices(VirtioPlatform virtio)
    {
        string transport = virtio.Transport == VirtioTransport.Pci ? "virtio-pci" : "virtio-mmio";
        string notify = virtio.IoEventFdsActive ? $"ioeventfd ({virtio.DirectNotificationQueues} queues straight to their device thread)" : "MMIO exits";
        int msix = virtio.PciDevices.Count(d => d.Msix.Enabled);
        string interrupts = virtio.Transport == VirtioTransport.Mmio ? (virtio.IrqFdsActive ? "irqfd" : "KVM_IRQ_LINE")
            : $"MSI-X via KVM_SIGNAL_MSI on {msix} of {virtio.PciDevices.Count} functions, INTx on the others";
        _err.WriteLine($"sharpvmm: {transport} devices, notifications by {notify}, interrupts by {interrupts}");
        foreach (IVirtioDevice device in virtio.Devices)
        {
            string? line = device switch
            {
                VirtioBlockDevice b => $"{b.Name}: {b.Counters.Requests} requests, {b.Counters.BytesRead} bytes read, {b.Counters.BytesWritten} bytes written, " +
                    $"{b.Counters.Flushes} flushes, {b.Counters.Errors} errors" +
                    (b.RateLimiter.ThrottledEvents > 0 ? $", {b.RateLimiter.ThrottledEvents} throttled" : "") + (b.QueueState is { } q ? $"; queue: {q}" : ""),
                VirtioNetDevice n => $"net: {n.TxFrames} frames ({n.TxBytes} bytes) sent, {n.RxFrames} frames ({n.RxBytes} bytes) received, {n.RxDropped + n.TxDropped} dropped",
                VirtioEntropyDevice r => $"rng: {r.Requests} requests, {r.BytesProvided} bytes provided",
                VirtioBalloonDevice l => $"balloon: {l.InflatedPages} pages inflated, {l.DeflatedPages} pages deflated, " +
                    $"{l.BytesReturnedToHost} bytes returned to the host, {l.InvalidPfns} invalid frames",
                VirtioConsoleDevice c => $"console: {c.BytesTransmitted} bytes from the guest, {c.BytesReceived} bytes to it",
                Devices.Virtio.Vsock.VirtioVsockDevice v => Devices.Virtio.Vsock.VsockCounterLine.Describe(v),
                _ => null,
            };
            if (line is not null)
            {
                _err.WriteLine($"sharpvmm: {line}");
            }
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
        // A kernel still running at the time limit is most likely hung: say where each vCPU was.
        if ((!ok || result.Reason == VmStopReason.TimeLimitReached) && result.Report is not null)
        {
            _err.Write(result.Report);
        }

        return ExitCodes.For(result);
    }
}
