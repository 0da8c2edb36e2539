using Microsoft.Extensions.Logging;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpVmm.Configuration;
using SharpVmm.Devices.Virtio.Block;

namespace SharpVmm.Api;

/// <summary>
/// One microVM as Firecracker's API sees it: its configuration while it is being described, then the running
/// <see cref="MicroVm"/>. Every method is one API operation and throws <see cref="ApiRequestException"/> for a
/// request Firecracker would refuse. Safe to call from several connections at once.
/// </summary>
public sealed partial class FirecrackerVmm : IDisposable
{
    /// <summary>Firecracker's message for a pre-boot operation after start.</summary>
    public const string NotAfterStart = "The requested operation is not supported after starting the microVM.";

    /// <summary>Firecracker's message for a post-boot operation before start.</summary>
    public const string NotBeforeStart = "The requested operation is not supported before starting the microVM.";

    private readonly Lock _lock = new();
    private readonly FirecrackerVmmOptions _options;
    private VmConfig _config = new() { Machine = new MachineConfig { MemSizeMib = 128 } };
    private bool _configured;
    private MicroVm? _vm;
    private Gdb.GdbServer? _gdb;

    /// <summary>Creates a VMM with nothing configured (1 vCPU, 128 MiB, as Firecracker starts).</summary>
    public FirecrackerVmm(FirecrackerVmmOptions options)
    {
        _options = options;
        Metrics = new ApiMetricsWriter(this);
    }

    /// <summary>The instance id.</summary>
    public string Id => _options.Id;

    /// <summary>The running VM once <c>InstanceStart</c> has built it; else null.</summary>
    public MicroVm? Vm => _vm;

    /// <summary>The metrics sink (<c>PUT /metrics</c>).</summary>
    public ApiMetricsWriter Metrics { get; }

    /// <summary>The log sink (<c>PUT /logger</c>).</summary>
    public ApiLogSink Log { get; } = new();

    /// <summary><c>GET /</c>.</summary>
    public InstanceInfo Describe() => new()
    {
        AppName = "SharpVmm",
        Id = Id,
        State = _vm is null ? "Not started" : _vm.State == VmState.Paused ? "Paused" : "Running",
        VmmVersion = VmmVersion,
    };

    /// <summary>SharpVmm's version, as <c>GET /version</c> reports it.</summary>
    public static string VmmVersion { get; } =
        typeof(FirecrackerVmm).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    /// <summary><c>GET /vm/config</c>: the whole configuration.</summary>
    public VmConfig CurrentConfig()
    {
        lock (_lock)
        {
            return _config;
        }
    }

    /// <summary><c>GET /machine-config</c>.</summary>
    public MachineConfig MachineConfig() => CurrentConfig().Machine;

    /// <summary>Takes a whole configuration (<c>--config-file</c>): every field is checked, the files included.</summary>
    public void Configure(VmConfig config)
    {
        Change(_ => config);
    }

    /// <summary><c>PUT /boot-source</c>: the kernel file must exist now, not at start.</summary>
    public void PutBootSource(BootSourceConfig source) => Change(c => c with { BootSource = source, RawGuest = null });

    /// <summary><c>PUT /machine-config</c>: fields left out take their defaults.</summary>
    public void PutMachineConfig(MachineConfig machine) => Change(c => c with { Machine = machine });

    /// <summary><c>PATCH /machine-config</c>: only the fields given change.</summary>
    public void PatchMachineConfig(JsonObject patch) => Change(c =>
    {
        JsonObject merged = (JsonObject)JsonSerializer.SerializeToNode(c.Machine, ApiJsonContext.Default.MachineConfig)!;
        foreach ((string name, JsonNode? value) in patch)
        {
            merged[name] = value?.DeepClone();
        }

        return c with { Machine = Deserialize(merged, ApiJsonContext.Default.MachineConfig) };
    });

    /// <summary><c>PUT /drives/{id}</c>: adds the drive or replaces the one with that id.</summary>
    public void PutDrive(string id, DriveConfig drive)
    {
        RequireSameId(id, drive.DriveId, "drive_id");
        Change(c => c with { Drives = Upsert(c.Drives, drive, d => d.DriveId == id) });
    }

    /// <summary><c>PUT /network-interfaces/{id}</c>.</summary>
    public void PutNetworkInterface(string id, NetworkInterfaceConfig net)
    {
        RequireSameId(id, net.IfaceId, "iface_id");
        Change(c => c with { NetworkInterfaces = Upsert(c.NetworkInterfaces, net, n => n.IfaceId == id) });
    }

    /// <summary><c>PUT /entropy</c>.</summary>
    public void PutEntropy(EntropyConfig entropy) => Change(c => c with { Entropy = entropy });

    /// <summary><c>PUT /vsock</c>: the vsock device (one per VM; a second PUT replaces it), before start only.</summary>
    public void PutVsock(VsockConfig vsock) => Change(c => c with { Vsock = vsock });

    /// <summary><c>PUT /serial</c>: COM1's output goes to a file instead of stdout.</summary>
    public void PutSerial(SerialConfig serial)
    {
        if (serial.RateLimiter is { ValueKind: not JsonValueKind.Null })
        {
            throw new ApiRequestException("serial rate limiting is not supported by SharpVmm yet");
        }

        Change(c => c with { Console = c.Console with { OutputPath = serial.SerialOutPath } });
    }

    /// <summary><c>PATCH /drives/{id}</c> after start: a new backing file (the guest told of the new size), new rate limiter buckets, or both.</summary>
    public void PatchDrive(string id, PartialDrive patch)
    {
        RequireSameId(id, patch.DriveId, "drive_id");
        ValidateLimiter("rate_limiter", patch.RateLimiter);
        lock (_lock)
        {
            MicroVm vm = _vm ?? throw new ApiRequestException(NotBeforeStart);
            int index = _config.DrivesInGuestOrder().ToList().FindIndex(d => d.DriveId == id);
            if (index < 0)
            {
                throw new ApiRequestException($"Invalid block device ID: no drive '{id}'.");
            }

            DriveConfig drive = _config.DrivesInGuestOrder()[index];
            VirtioBlockDevice device = vm.Virtio!.Devices.OfType<VirtioBlockDevice>().ElementAt(index);
            if (patch.PathOnHost is { } path)
            {
                RawDiskImage image;
                try
                {
                    // The same file again (to see its new size): this VMM's own lock must not refuse it.
                    image = System.IO.Path.GetFullPath(path) == System.IO.Path.GetFullPath(device.Image.Path)
                        ? device.Image.Reopen() : new RawDiskImage(path, drive.IsReadOnly);
                }
                catch (DiskImageException ex)
                {
                    throw new ApiRequestException($"Unable to patch the block device: {ex.Message}");
                }

                device.ReplaceImage(image);
                _config = _config with { Drives = [.. _config.Drives.Select(d => d.DriveId == id ? d with { PathOnHost = path } : d)] };
            }

            if (patch.RateLimiter is { } limiter)
            {
                limiter.ApplyTo(device.RateLimiter);
                _config = _config with { Drives = [.. _config.Drives.Select(d => d.DriveId == id ? d with { RateLimiter = Merge(d.RateLimiter, limiter) } : d)] };
            }
        }
    }

    /// <summary><c>PATCH /network-interfaces/{id}</c> after start: new receive and transmit rate limiters, in effect at once.</summary>
    public void PatchNetworkInterface(string id, PartialNetworkInterface patch)
    {
        RequireSameId(id, patch.IfaceId, "iface_id");
        ValidateLimiter("rx_rate_limiter", patch.RxRateLimiter);
        ValidateLimiter("tx_rate_limiter", patch.TxRateLimiter);
        lock (_lock)
        {
            MicroVm vm = _vm ?? throw new ApiRequestException(NotBeforeStart);
            int index = _config.NetworkInterfaces.ToList().FindIndex(n => n.IfaceId == id);
            if (index < 0)
            {
                throw new ApiRequestException($"Invalid network interface ID: no interface '{id}'.");
            }

            Devices.Virtio.Net.VirtioNetDevice device = vm.Virtio!.Devices.OfType<Devices.Virtio.Net.VirtioNetDevice>().ElementAt(index);
            patch.RxRateLimiter?.ApplyTo(device.RxRateLimiter);
            patch.TxRateLimiter?.ApplyTo(device.TxRateLimiter);
            _config = _config with
            {
                NetworkInterfaces = [.. _config.NetworkInterfaces.Select(n => n.IfaceId != id ? n : n with
                {
                    RxRateLimiter = Merge(n.RxRateLimiter, patch.RxRateLimiter),
                    TxRateLimiter = Merge(n.TxRateLimiter, patch.TxRateLimiter),
                })],
            };
        }
    }

    private static void ValidateLimiter(string field, RateLimiterConfig? limiter)
    {
        try
        {
            limiter?.Validate(field);
        }
        catch (VmConfigurationException ex)
        {
            throw new ApiRequestException(ex.Message);
        }
    }

    // The configuration after a PATCH: each bucket the patch names replaces the old one, the others stay.
    private static RateLimiterConfig? Merge(RateLimiterConfig? current, RateLimiterConfig? patch) => patch is null ? current : new RateLimiterConfig
    {
        Bandwidth = patch.Bandwidth ?? current?.Bandwidth,
        Ops = patch.Ops ?? current?.Ops,
    };

    /// <summary><c>PUT /actions</c>.</summary>
    public void Act(InstanceActionInfo action)
    {
        switch (action.ActionType)
        {
            case "InstanceStart":
                Start();
                break;
            case "SendCtrlAltDel":
                if ((_vm ?? throw new ApiRequestException(NotBeforeStart)).SendCtrlAltDel() is false)
                {
                    throw new ApiRequestException("this VM has no keyboard controller");
                }

                break;
            case "FlushMetrics":
                Metrics.Flush();
                break;
            default:
                throw new ApiRequestException($"unknown action_type '{action.ActionType}' (InstanceStart, SendCtrlAltDel, FlushMetrics)");
        }
    }

    /// <summary><c>PATCH /vm</c>: <c>Paused</c> or <c>Resumed</c>.</summary>
    public void SetState(VmStateUpdate update)
    {
        MicroVm vm = _vm ?? throw new ApiRequestException(NotBeforeStart);
        try
        {
            switch (update.State)
            {
                case "Paused":
                    vm.Pause();
                    break;
                case "Resumed":
                    vm.Resume();
                    break;
                default:
                    throw new ApiRequestException($"state must be Paused or Resumed, not '{update.State}'");
            }
        }
        catch (InvalidOperationException ex)
        {
            throw new ApiRequestException($"the microVM cannot change state: {ex.Message}");
        }
    }

    /// <summary>Builds and starts the VM from the configuration so far (<c>InstanceStart</c>).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_vm is not null)
            {
                throw new ApiRequestException(NotAfterStart);
            }

            if (_config.BootSource is null && _config.RawGuest is null)
            {
                throw new ApiRequestException("Cannot start microvm without kernel configuration.");
            }

            try
            {
                _config.Validate();
                _vm = MicroVm.Create(_config, new MicroVmOptions
                {
                    ConsoleOutput = _options.ConsoleOutput,
                    KvmDevicePath = _options.KvmDevicePath,
                    LoggerFactory = Log.CreateFactory(),
                });
            }
            catch (Exception ex) when (ex is VmConfigurationException or Boot.BootImageException or DiskImageException
                or Devices.Virtio.Net.TapException or Kvm.KvmException or Kvm.KvmUnavailableException or IOException)
            {
                throw new ApiRequestException($"Failed to start microVM: {ex.Message}");
            }

            // With gdb_socket_path the guest waits, before its first instruction, for gdb to attach and continue it.
            bool waitForGdb = _config.Machine.GdbSocketPath is not null;
            if (_config.Machine.GdbSocketPath is { } gdbSocket)
            {
                try
                {
                    _gdb = Gdb.GdbServer.Start(_vm, Gdb.GdbEndpoint.Unix(gdbSocket), Log.CreateFactory().CreateLogger("SharpVmm.Gdb"));
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    _vm.Dispose();
                    _vm = null;
                    throw new ApiRequestException($"Failed to start microVM: gdb socket {gdbSocket}: {ex.Message}");
                }
            }

            _vm.Start(new VmRunOptions { StartPaused = waitForGdb });
            WatchForExit(_vm);
        }
    }

    private void WatchForExit(MicroVm vm) =>
        new Thread(() => _options.RunEnded?.Invoke(vm.WaitForExit())) { Name = "vm-exit", IsBackground = true }.Start();

    /// <inheritdoc />
    public void Dispose()
    {
        _gdb?.Dispose();
        _vm?.Dispose();
        Metrics.Dispose();
        Log.Dispose();
    }

    private void Change(Func<VmConfig, VmConfig> change)
    {
        lock (_lock)
        {
            if (_vm is not null)
            {
                throw new ApiRequestException(NotAfterStart);
            }

            VmConfig next = change(_config);
            _configured = true;
            try
            {
                // Only what the request touched is checked against the host here: a boot source with no kernel yet is fine.
                next.Validate(checkHostResources: true, requireBootSource: false);
            }
            catch (VmConfigurationException ex)
            {
                throw new ApiRequestException(ex.Message);
            }

            _config = next;
        }
    }

    private static void RequireSameId(string pathId, string bodyId, string field)
    {
        if (pathId != bodyId)
        {
            throw new ApiRequestException($"The {field} in the path ('{pathId}') differs from the one in the body ('{bodyId}').");
        }
    }

    private static IReadOnlyList<T> Upsert<T>(IReadOnlyList<T> items, T item, Func<T, bool> same)
    {
        var list = items.ToList();
        int at = list.FindIndex(x => same(x));
        if (at < 0)
        {
            list.Add(item);
        }
        else
        {
            list[at] = item;
        }

        return list;
    }

    private static T Deserialize<T>(JsonNode node, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        try
        {
            return node.Deserialize(info) ?? throw new ApiRequestException("the body is null");
        }
        catch (JsonException ex)
        {
            throw new ApiRequestException($"bad body: {ex.Message}");
        }
    }
}
