using SharpVmm.Configuration;

namespace SharpVmm.Cli;

/// <summary>Builds a VM for a raw image, runs it, and prints what the classic demos print.</summary>
public sealed class RawGuestRunner
{
    /// <summary>Environment variable that points the CLI at another KVM device node (tests use it).</summary>
    public const string KvmDeviceVariable = "SHARPVMM_KVM_DEVICE";

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Stream _serialOut;

    /// <summary>Creates a runner printing to the given writers; guest serial output goes to <paramref name="serialOut"/>.</summary>
    public RawGuestRunner(TextWriter output, TextWriter error, Stream serialOut)
    {
        _out = output;
        _err = error;
        _serialOut = serialOut;
    }

    /// <summary>The KVM device to open: <see cref="KvmDeviceVariable"/> when set, else /dev/kvm.</summary>
    public static string KvmDevicePath() =>
        Environment.GetEnvironmentVariable(KvmDeviceVariable) is { Length: > 0 } dev ? dev : Kvm.KvmSystem.DefaultDevicePath;

    /// <summary>
    /// Runs the raw guest <paramref name="config"/> describes; with <paramref name="serialInput"/> stdin goes to COM1.
    /// SIGTERM or SIGINT stops it in order (<see cref="SignalShutdown"/>): <see cref="ExitCodes.StoppedBySignal"/>.
    /// </summary>
    public int Run(VmConfig config, RunControls controls, bool serialInput)
    {
        controls = GdbStub.WithConfiguredStub(controls, config);
        using Microsoft.Extensions.Logging.ILoggerFactory logging = controls.CreateLoggerFactory(_err);
        using MicroVm micro = MicroVm.Create(config, new MicroVmOptions
        {
            LoggerFactory = logging,
            ConsoleOutput = _serialOut,
            KvmDevicePath = KvmDevicePath(),
            ExitTracer = controls.TraceIo ? new IoTraceWriter(_out) : null,
        });
        long builtAt = System.Diagnostics.Stopwatch.GetTimestamp();
        using var shutdown = new SignalShutdown(micro);
        using SerialConsoleInput? input = serialInput ? new SerialConsoleInput(micro.SendConsoleInput, micro.Stop, _err) : null;
        using Gdb.GdbServer? gdb = GdbStub.StartIfAsked(controls, micro, logging, _err);
        input?.Start();
        Diagnostics.ExitStatistics? exitStats = controls.ExitStats ? micro.Machine.CollectExitStatistics() : null;
        VmRunResult result = micro.Run(controls.ToRunOptions());
        _out.Flush();
        if (exitStats is not null)
        {
            ExitStatisticsReport.Write(exitStats, _err);
        }

        if (controls.BootTimer)
        {
            _err.WriteLine(StartupClock.Describe(builtAt, micro.Machine.Vcpus[0].FirstRunAt));
        }

        return shutdown.Finish(result, _err) ?? Report(result);
    }

    private int Report(VmRunResult result)
    {
        switch (result.Reason)
        {
            case VmStopReason.AllVcpusHalted:
                _out.Write("KVM_EXIT_HLT\n");
                break;
            case VmStopReason.ExitLimitReached:
            case VmStopReason.TimeLimitReached:
            case VmStopReason.StopRequested:
            case VmStopReason.SystemEvent:
            case VmStopReason.GuestDebugExit:
                _err.WriteLine($"sharpvmm: {result.Summary}");
                break;
            default:
                _err.WriteLine($"sharpvmm: error: {result.Summary}");
                if (result.Report is not null)
                {
                    _err.Write(result.Report);
                }

                break;
        }

        _out.Flush();
        return ExitCodes.For(result);
    }
}
