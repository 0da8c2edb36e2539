using SharpVmm.Snapshot;

namespace SharpVmm.Api;

// PUT /snapshot/create and PUT /snapshot/load.
public sealed partial class FirecrackerVmm
{
    /// <summary><c>PUT /snapshot/create</c>: the VM must be paused, as in Firecracker.</summary>
    public SnapshotInfo CreateSnapshot(SnapshotCreateParams body)
    {
        ArgumentNullException.ThrowIfNull(body);
        MicroVm vm = _vm ?? throw new ApiRequestException(NotBeforeStart);
        SnapshotType type = body.SnapshotType switch
        {
            null or "Full" => SnapshotType.Full,
            "Diff" => SnapshotType.Diff,
            _ => throw new ApiRequestException($"snapshot_type must be Full or Diff, not '{body.SnapshotType}'"),
        };
        if (vm.State != VmState.Paused)
        {
            throw new ApiRequestException($"Cannot create a snapshot of a microVM that is {vm.State}: pause it first (PATCH /vm Paused).");
        }

        try
        {
            return vm.CreateSnapshot(new SnapshotRequest { StatePath = body.SnapshotPath, MemoryPath = body.MemFilePath, Type = type });
        }
        catch (Exception ex) when (ex is SnapshotException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new ApiRequestException($"Failed to create the snapshot: {ex.Message}");
        }
    }

    /// <summary><c>PUT /snapshot/load</c>: only on a fresh VMM, before any resource but the logger and metrics is configured.</summary>
    public void LoadSnapshot(SnapshotLoadParams body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Restore(RequestFor(body));
    }

    /// <summary>
    /// Restores the microVM <paramref name="request"/> names into this fresh VMM (<c>PUT /snapshot/load</c>, and
    /// <c>sharpvmm restore</c>, which may also copy memory in and re-point drives).
    /// </summary>
    /// <exception cref="ApiRequestException">The VMM is not fresh, or the snapshot cannot be restored (the message says why).</exception>
    public void Restore(RestoreRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        long loadStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (_vm is not null)
            {
                throw new ApiRequestException("Loading a microVM snapshot not allowed after starting the microVM.");
            }

            if (_configured)
            {
                throw new ApiRequestException("Loading a microVM snapshot not allowed after configuring boot-specific resources.");
            }

            try
            {
                _vm = MicroVm.Restore(request, new MicroVmOptions
                {
                    ConsoleOutput = _options.ConsoleOutput,
                    KvmDevicePath = _options.KvmDevicePath,
                    LoggerFactory = Log.CreateFactory(),
                });
            }
            catch (Exception ex) when (ex is SnapshotException or Configuration.VmConfigurationException or Devices.Virtio.Block.DiskImageException
                or Devices.Virtio.Net.TapException or Kvm.KvmException or Kvm.KvmUnavailableException or IOException)
            {
                throw new ApiRequestException($"Failed to load the snapshot: {ex.Message}");
            }

            _config = _vm.Config;
            _configured = true;
            WatchForExit(_vm);
            if (_options.BootTimer is { } timer && request.ResumeVm)
            {
                ReportFirstExit(_vm, loadStarted, System.Diagnostics.Stopwatch.GetTimestamp(), timer);
            }
        }
    }

    // The boot timer of a restore: the load's own time, and when the restored guest first exited to the VMM (its first
    // port or MMIO access, within microseconds of running again for any guest that does I/O or keeps time).
    private static void ReportFirstExit(MicroVm vm, long started, long loaded, TextWriter timer) =>
        new Thread(() =>
        {
            var wait = System.Diagnostics.Stopwatch.StartNew();
            long first;
            while ((first = vm.Machine.Vcpus.Select(v => v.FirstExitAt).Where(t => t != 0).DefaultIfEmpty(0).Min()) == 0 && wait.Elapsed.TotalSeconds < 10)
            {
                Thread.Sleep(0);
            }

            double ms(long from, long to) => System.Diagnostics.Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
            timer.WriteLine(first == 0
                ? FormattableString.Invariant($"sharpvmm: boot timer: snapshot loaded in {ms(started, loaded):F2} ms; the guest had no exit within 10 s")
                : FormattableString.Invariant($"sharpvmm: boot timer: snapshot loaded in {ms(started, loaded):F2} ms; the guest's first exit {ms(started, first):F2} ms after the load began"));
        }) { Name = "boot-timer", IsBackground = true }.Start();

    private static RestoreRequest RequestFor(SnapshotLoadParams body)
    {
        if ((body.MemBackend is null) == (body.MemFilePath is null))
        {
            throw new ApiRequestException("Exactly one of mem_backend and mem_file_path must be given.");
        }

        if (body.MemBackend is { BackendType: not "File" } backend)
        {
            throw new ApiRequestException(backend.BackendType == "Uffd"
                ? "The Uffd memory backend is not supported by SharpVmm yet; use File."
                : $"backend_type must be File or Uffd, not '{backend.BackendType}'");
        }

        if (body.VsockOverride is not null)
        {
            throw new ApiRequestException("vsock_override is not supported by SharpVmm yet: the restored VM listens on the snapshot configuration's uds_path, which must not exist.");
        }

        if (body.HugePages is not (null or "Snapshot" or "None" or "Transparent"))
        {
            throw new ApiRequestException($"huge_pages '{body.HugePages}' is not supported with the File backend (Snapshot, None or Transparent).");
        }

        return new RestoreRequest
        {
            StatePath = body.SnapshotPath,
            MemoryPath = body.MemBackend?.BackendPath ?? body.MemFilePath!,
            Backend = MemoryBackend.File,
            TrackDirtyPages = body.TrackDirtyPages ?? body.EnableDiffSnapshots,
            ResumeVm = body.ResumeVm ?? false,
            ClockRealtime = body.ClockRealtime ?? false,
            NetworkOverrides = [.. (body.NetworkOverrides ?? []).Select(o => new NetworkOverride(o.IfaceId, o.HostDevName))],
            DriveOverrides = [.. (body.DriveOverrides ?? []).Select(o => new DriveOverride(o.DriveId, o.PathOnHost))],
        };
    }
}
