using System.CommandLine;
using SharpVmm.Api;
using SharpVmm.Configuration;

namespace SharpVmm.Cli;

/// <summary>
/// <c>sharpvmm firecracker</c>, also what the binary does when it is run as <c>firecracker</c>: Firecracker's flags,
/// its API on a Unix socket, the guest's serial console on stdout, and the process ending when the guest does.
/// </summary>
internal sealed class FirecrackerCommand(TextWriter output, TextWriter error, Stream serialOut)
{
    /// <summary>Builds the command.</summary>
    public Command Create()
    {
        var apiSock = new Option<string>("--api-sock") { Description = "Path of the API's Unix socket", DefaultValueFactory = _ => "/run/firecracker.socket" };
        var configFile = new Option<string?>("--config-file") { Description = "Boot at once the VM this JSON file describes (Firecracker's format)" };
        var noApi = new Option<bool>("--no-api") { Description = "No API socket; needs --config-file" };
        var id = new Option<string>("--id") { Description = "The microVM's id", DefaultValueFactory = _ => "anonymous-instance" };
        var logPath = new Option<string?>("--log-path") { Description = "A file or named pipe for the log (default stderr)" };
        var level = new Option<string?>("--level") { Description = "Log level: Error, Warning, Info, Debug, Trace or Off" };
        var showLevel = new Option<bool>("--show-level") { Description = "Show each line's level" };
        var showOrigin = new Option<bool>("--show-log-origin") { Description = "Show each line's origin" };
        var metricsPath = new Option<string?>("--metrics-path") { Description = "A file or named pipe for metrics lines" };
        var bootTimer = new Option<bool>("--boot-timer") { Description = "Print on stderr how long after the process started the API was listening and the guest was started" };
        var seccompFilter = new Option<string?>("--seccomp-filter") { Description = "Accepted, not read: SharpVmm's vCPU and device threads install its own filters (docs/api.md); --no-seccomp turns them off" };
        var noSeccomp = new Option<bool>("--no-seccomp") { Description = "No seccomp filters on the vCPU and device threads (they enforce an allow-list otherwise)" };
        var maxPayload = new Option<int>("--http-api-max-payload-size") { Description = "Largest request body in bytes", DefaultValueFactory = _ => FirecrackerApiRouter.DefaultMaxPayloadBytes };
        // The jailer passes these; SharpVmm reads them as Firecracker does only for its boot-time metric, which it does not keep.
        var startTime = new Option<ulong?>("--start-time-us") { Hidden = true };
        var startCpuTime = new Option<ulong?>("--start-time-cpu-us") { Hidden = true };
        var parentCpuTime = new Option<ulong?>("--parent-cpu-time-us") { Hidden = true };
        var command = new Command("firecracker", "Run one microVM driven by Firecracker's API (or a Firecracker configuration file), as `firecracker` does")
        {
            apiSock, configFile, noApi, id, logPath, level, showLevel, showOrigin, metricsPath, bootTimer, seccompFilter, noSeccomp, maxPayload,
            startTime, startCpuTime, parentCpuTime,
        };
        command.SetAction(parse => Run(new Settings(
            parse.GetValue(apiSock)!, parse.GetValue(configFile), parse.GetValue(noApi), parse.GetValue(id)!,
            new LoggerConfig { LogPath = parse.GetValue(logPath), Level = parse.GetValue(level), ShowLevel = parse.GetValue(showLevel), ShowLogOrigin = parse.GetValue(showOrigin) },
            parse.GetValue(metricsPath), parse.GetValue(maxPayload), parse.GetValue(bootTimer))
        {
            Seccomp = parse.GetValue(noSeccomp) ? "off" : SeccompOption.Default,
            SeccompFilterFile = parse.GetValue(seccompFilter),
        }));
        return command;
    }

    /// <summary>What a run of the command is given; <see cref="Restore"/> is <c>sharpvmm restore</c>'s snapshot.</summary>
    internal sealed record Settings(string ApiSocket, string? ConfigFile, bool NoApi, string Id, LoggerConfig Logger, string? MetricsPath, int MaxPayload, bool BootTimer)
    {
        public Snapshot.RestoreRequest? Restore { get; init; }

        /// <summary>The seccomp mode of the VM's threads: enforce, log or off (<see cref="SeccompOption"/>).</summary>
        public string Seccomp { get; init; } = SeccompOption.Default;

        /// <summary>Firecracker's <c>--seccomp-filter</c>, which SharpVmm does not read (it says so).</summary>
        public string? SeccompFilterFile { get; init; }
    }

    private static double SinceProcessStart() =>
        (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds;

    /// <summary>Runs one microVM as the settings say, until it ends; returns the exit code.</summary>
    internal int Run(Settings settings)
    {
        if (settings.NoApi && settings.ConfigFile is null && settings.Restore is null)
        {
            return Fail(ExitCodes.Usage, "--no-api needs --config-file: without the API nothing could start the microVM");
        }

        try
        {
            SeccompOption.Apply(settings.Seccomp);
        }
        catch (UsageException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }

        if (settings.SeccompFilterFile is string filterFile)
        {
            error.WriteLine($"sharpvmm: --seccomp-filter {filterFile} is not read: the vCPU and device threads install SharpVmm's own filters (--no-seccomp turns them off)");
        }

        var ended = new TaskCompletionSource<VmRunResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var vmm = new FirecrackerVmm(new FirecrackerVmmOptions
        {
            Id = settings.Id,
            ConsoleOutput = serialOut,
            KvmDevicePath = RawGuestRunner.KvmDevicePath(),
            RunEnded = result => ended.TrySetResult(result),
            BootTimer = settings.BootTimer ? error : null,
        });
        // Watched from the start: a signal that comes while the VM is being built or restored ends the run in order too.
        using var stop = new PosixSignalWatch(signal =>
            ended.TrySetResult(new VmRunResult(VmStopReason.StopRequested, null, $"stopped by a signal ({PosixSignalWatch.Name(signal)})", null, 0)));
        FirecrackerApiServer? server = null;
        SerialConsoleInput? input = null;
        try
        {
            if (settings.Logger.LogPath is not null || settings.Logger.Level is not null || settings.Logger.ShowLevel == true || settings.Logger.ShowLogOrigin == true)
            {
                vmm.Log.Configure(settings.Logger);
            }

            if (settings.MetricsPath is { } metrics)
            {
                vmm.Metrics.Configure(new MetricsConfig { MetricsPath = metrics });
            }

            FirecrackerConfigFile? file = settings.ConfigFile is { } path ? FirecrackerConfigFile.Load(path) : null;
            if (file?.Logger is { } fileLogger)
            {
                vmm.Log.Configure(fileLogger);
            }

            if (file?.Metrics is { } fileMetrics)
            {
                vmm.Metrics.Configure(fileMetrics);
            }

            if (settings.Restore is { } restore)
            {
                vmm.Restore(restore);

                // sharpvmm restore: stdin goes to the guest's serial port, as with sharpvmm run (Ctrl-A x quits on a terminal).
                input = new SerialConsoleInput(vmm.Vm!.SendConsoleInput,
                    () => ended.TrySetResult(new VmRunResult(VmStopReason.StopRequested, null, "stopped from the console (Ctrl-A x)", null, 0)), error);
                input.Start();
            }
            else if (file is not null)
            {
                vmm.Configure(file.Vm);
                vmm.Start();
                if (settings.BootTimer)
                {
                    error.WriteLine(FormattableString.Invariant($"sharpvmm: boot timer: guest started {SinceProcessStart():F1} ms after the process"));
                }
            }

            if (!settings.NoApi)
            {
                server = FirecrackerApiServer.StartAsync(settings.ApiSocket, new FirecrackerApiRouter(vmm, settings.MaxPayload)).GetAwaiter().GetResult();
                if (settings.BootTimer)
                {
                    error.WriteLine(FormattableString.Invariant($"sharpvmm: boot timer: API listening {SinceProcessStart():F1} ms after the process started"));
                }
            }

            VmRunResult result = ended.Task.GetAwaiter().GetResult();
            // Whatever ended it, the guest's disks are synced before the VMM exits (the disk requests in flight finish first).
            IReadOnlyList<string> synced;
            try
            {
                synced = vmm.Vm?.Shutdown() ?? [];
            }
            catch (IOException ex)
            {
                return Fail(ExitCodes.HostError, $"the guest's writes may not be on disk: {ex.Message}");
            }

            output.Flush();
            error.WriteLine($"sharpvmm: {result.Summary}" + (synced.Count > 0 ? $"; {synced.Count} writable disk(s) synced" : ""));
            return ExitCodes.For(result);
        }
        catch (ApiRequestException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        catch (VmConfigurationException ex)
        {
            return Fail(ExitCodes.Usage, $"configuration: {ex.Message}");
        }
        catch (IOException ex) when (server is null)
        {
            return Fail(ExitCodes.HostError, $"--api-sock {settings.ApiSocket}: {ex.Message}");
        }
        finally
        {
            server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            input?.Dispose();
        }
    }

    private int Fail(int code, string message)
    {
        error.WriteLine($"sharpvmm: error: {message}");
        return code;
    }
}
