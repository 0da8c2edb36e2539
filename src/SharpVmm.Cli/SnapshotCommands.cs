using System.CommandLine;
using SharpVmm.Api;
using FirecrackerApiException = SharpVmm.Client.FirecrackerApiException;
using FirecrackerClient = SharpVmm.Client.FirecrackerClient;
using SnapshotCreate = SharpVmm.Client.SnapshotCreate;
using SharpVmm.Snapshot;

namespace SharpVmm.Cli;

/// <summary>
/// <c>sharpvmm snapshot</c>, which snapshots a VM that serves the API (<c>--api-sock</c>), and <c>sharpvmm restore</c>,
/// which runs a snapshot's VM in this process, as <c>sharpvmm firecracker</c> runs a configured one.
/// </summary>
internal sealed class SnapshotCommands(TextWriter output, TextWriter error, Stream serialOut)
{
    /// <summary>Builds <c>sharpvmm snapshot</c>.</summary>
    public Command CreateSnapshot()
    {
        var apiSock = new Option<string>("--api-sock") { Description = "The API socket of the running VMM", Required = true };
        var state = new Option<string>("--snapshot") { Description = "The state file to write", Required = true };
        var memory = new Option<string>("--mem-file") { Description = "The memory file to write", Required = true };
        var type = new Option<string>("--type") { Description = "Full, or Diff (pages changed since the last snapshot; needs track_dirty_pages)", DefaultValueFactory = _ => "Full" };
        type.AcceptOnlyFromAmong("Full", "Diff");
        var resume = new Option<bool>("--resume") { Description = "Resume the VM afterwards (it is left paused otherwise)" };
        var command = new Command("snapshot", "Pause a VM that serves the API (sharpvmm firecracker --api-sock) and write it to a state file and a memory file")
        {
            apiSock, state, memory, type, resume,
        };
        command.SetAction(parse => Snapshot(parse.GetValue(apiSock)!, parse.GetValue(state)!, parse.GetValue(memory)!, parse.GetValue(type)!, parse.GetValue(resume)));
        return command;
    }

    /// <summary>Builds <c>sharpvmm restore</c>.</summary>
    public Command CreateRestore()
    {
        var state = new Option<string>("--snapshot") { Description = "The state file", Required = true };
        var memory = new Option<string>("--mem-file") { Description = "The memory file (a Full snapshot's, or with Diff snapshots merged onto it)", Required = true };
        var apiSock = new Option<string?>("--api-sock") { Description = "Serve Firecracker's API on this socket (to pause and snapshot the VM again)" };
        var paused = new Option<bool>("--paused") { Description = "Leave the VM paused (resume it with PATCH /vm)" };
        var copy = new Option<bool>("--copy-memory") { Description = "Copy the memory file in instead of mapping it copy-on-write" };
        var track = new Option<bool>("--track-dirty-pages") { Description = "Track dirty pages in the restored VM, for Diff snapshots of it" };
        var netOverride = new Option<string[]>("--net-override") { Description = "IFACE_ID=TAP: put an interface on another TAP", AllowMultipleArgumentsPerToken = false };
        var driveOverride = new Option<string[]>("--drive-override") { Description = "DRIVE_ID=PATH: back a drive with another file (a copy of the snapshotted one)" };
        var id = new Option<string>("--id") { Description = "The microVM's id", DefaultValueFactory = _ => "anonymous-instance" };
        var bootTimer = new Option<bool>("--boot-timer") { Description = "Print on stderr how long the restore took" };
        Option<string> seccomp = SeccompOption.Create();
        var command = new Command("restore", "Run the VM a snapshot holds, continuing where it was paused; the serial console is on stdout, and stdin goes to its serial port")
        {
            state, memory, apiSock, paused, copy, track, netOverride, driveOverride, id, bootTimer, seccomp,
        };
        command.SetAction(parse =>
        {
            RestoreRequest request;
            try
            {
                request = new RestoreRequest
                {
                    StatePath = parse.GetValue(state)!,
                    MemoryPath = parse.GetValue(memory)!,
                    Backend = parse.GetValue(copy) ? MemoryBackend.Copy : MemoryBackend.File,
                    TrackDirtyPages = parse.GetValue(track) ? true : null,
                    ResumeVm = !parse.GetValue(paused),
                    NetworkOverrides = [.. Pairs(parse.GetValue(netOverride), "--net-override").Select(p => new NetworkOverride(p.Key, p.Value))],
                    DriveOverrides = [.. Pairs(parse.GetValue(driveOverride), "--drive-override").Select(p => new DriveOverride(p.Key, p.Value))],
                };
            }
            catch (UsageException ex)
            {
                error.WriteLine($"sharpvmm: error: {ex.Message}");
                return ExitCodes.Usage;
            }

            string? socket = parse.GetValue(apiSock);
            var settings = new FirecrackerCommand.Settings(socket ?? "", null, socket is null, parse.GetValue(id)!, new LoggerConfig(), null,
                FirecrackerApiRouter.DefaultMaxPayloadBytes, parse.GetValue(bootTimer)) { Restore = request, Seccomp = parse.GetValue(seccomp)! };
            return new FirecrackerCommand(output, error, serialOut).Run(settings);
        });
        return command;
    }

    private int Snapshot(string socket, string state, string memory, string type, bool resume)
    {
        try
        {
            using var client = new FirecrackerClient(socket);
            client.PauseAsync().GetAwaiter().GetResult();
            client.CreateSnapshotAsync(new SnapshotCreate(Path.GetFullPath(state), Path.GetFullPath(memory), type)).GetAwaiter().GetResult();
            if (resume)
            {
                client.ResumeAsync().GetAwaiter().GetResult();
            }

            output.WriteLine($"snapshot: {Path.GetFullPath(state)}");
            output.WriteLine($"memory: {Path.GetFullPath(memory)}");
            return ExitCodes.Success;
        }
        catch (FirecrackerApiException ex)
        {
            error.WriteLine($"sharpvmm: error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (HttpRequestException ex)
        {
            error.WriteLine($"sharpvmm: error: cannot reach the VMM on {socket}: {ex.Message}");
            return ExitCodes.HostError;
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string[]? values, string option)
    {
        foreach (string value in values ?? [])
        {
            int equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == value.Length - 1)
            {
                throw new UsageException($"{option} '{value}': expected ID=VALUE");
            }

            yield return new(value[..equals], value[(equals + 1)..]);
        }
    }
}
