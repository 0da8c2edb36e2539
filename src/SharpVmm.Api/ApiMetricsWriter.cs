using System.Diagnostics.Metrics;
using System.Text.Json;
using SharpVmm.Diagnostics;

namespace SharpVmm.Api;

/// <summary>
/// Writes metrics as Firecracker does: one JSON object per line to a file or FIFO (<c>PUT /metrics</c>,
/// <c>--metrics-path</c>), on <c>FlushMetrics</c> and every 60 seconds. Each line has <c>utc_timestamp_ms</c>, the API
/// server's request counts, and the VM's counters read from its <see cref="VmMetrics"/> instruments: <c>vcpu</c>
/// (exits by reason), <c>block</c> and <c>net</c> (totals), and <c>block_ID</c> / <c>net_ID</c> per device.
/// </summary>
public sealed class ApiMetricsWriter : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(60);
    private readonly FirecrackerVmm _vmm;
    private readonly Lock _lock = new();
    private Stream? _out;
    private Timer? _timer;
    private long _requests;
    private long _errors;

    internal ApiMetricsWriter(FirecrackerVmm vmm) => _vmm = vmm;

    /// <summary>Counts one API request, and whether it was refused.</summary>
    public void CountRequest(bool failed)
    {
        Interlocked.Increment(ref _requests);
        if (failed)
        {
            Interlocked.Increment(ref _errors);
        }
    }

    /// <summary>Opens the metrics file or FIFO; once only, as in Firecracker.</summary>
    public void Configure(MetricsConfig config)
    {
        lock (_lock)
        {
            if (_out is not null)
            {
                throw new ApiRequestException("Reinitialization of metrics not allowed.");
            }

            try
            {
                _out = new FileStream(config.MetricsPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ApiRequestException($"Failed to open the metrics file {config.MetricsPath}: {ex.Message}");
            }

            _timer = new Timer(_ => TryFlush(), null, Period, Period);
        }
    }

    /// <summary>Writes one line now (<c>FlushMetrics</c>).</summary>
    /// <exception cref="ApiRequestException">No metrics file was configured.</exception>
    public void Flush()
    {
        lock (_lock)
        {
            Stream output = _out ?? throw new ApiRequestException("The metrics system is not initialized: PUT /metrics first.");
            byte[] line = Line();
            output.Write(line);
            output.WriteByte((byte)'\n');
            output.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _out?.Dispose();
            _out = null;
        }
    }

    private void TryFlush()
    {
        try
        {
            Flush();
        }
        catch (Exception ex) when (ex is IOException or ApiRequestException or ObjectDisposedException)
        {
            // a FIFO whose reader went away: the next flush tries again
        }
    }

    private byte[] Line()
    {
        var groups = new SortedDictionary<string, SortedDictionary<string, long>>(StringComparer.Ordinal)
        {
            ["api_server"] = new(StringComparer.Ordinal) { ["requests"] = Interlocked.Read(ref _requests), ["errors"] = Interlocked.Read(ref _errors) },
        };
        if (_vmm.Vm is { } vm)
        {
            Collect(vm, groups);
        }

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("utc_timestamp_ms", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            foreach ((string group, SortedDictionary<string, long> counters) in groups)
            {
                json.WriteStartObject(group);
                foreach ((string name, long value) in counters)
                {
                    json.WriteNumber(name, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Collect(MicroVm vm, SortedDictionary<string, SortedDictionary<string, long>> groups)
    {
        IReadOnlyList<Configuration.DriveConfig> drives = vm.Config.DrivesInGuestOrder();
        var driveIds = drives.Select((d, i) => ("vd" + (char)('a' + (i % 26)), d.DriveId)).ToDictionary(p => p.Item1, p => p.DriveId);
        var nets = vm.Config.NetworkInterfaces.Select((n, i) => ($"virtio-net {i}", n.IfaceId)).ToDictionary(p => p.Item1, p => p.IfaceId);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == VmMetrics.MeterName && instrument.Meter.Tags?.Any(t => t.Key == "vm" && (string?)t.Value == vm.Metrics.Id) == true)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? device = null, reason = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                device = tag.Key == "device" ? tag.Value as string : device;
                reason = tag.Key is "reason" or "bus" ? tag.Value as string : reason;
            }

            string name = instrument.Name[(instrument.Name.LastIndexOf('.') + 1)..];
            (string group, string? own) = instrument.Name switch
            {
                "sharpvmm.vm.exits" => ("vcpu", null),
                "sharpvmm.vm.unclaimed_accesses" => ("vmm", null),
                _ when instrument.Name.StartsWith("sharpvmm.virtio_blk.", StringComparison.Ordinal) =>
                    ("block", device is not null && driveIds.TryGetValue(device, out string? id) ? $"block_{id}" : null),
                _ when instrument.Name.StartsWith("sharpvmm.virtio_net.", StringComparison.Ordinal) =>
                    ("net", device is not null && nets.TryGetValue(device, out string? id) ? $"net_{id}" : null),
                _ => ("entropy", null),
            };
            string counter = FirecrackerName(group, name, reason);
            Add(groups, group, counter, value);
            if (own is not null)
            {
                Add(groups, own, counter, value);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
    }

    // Firecracker's names where it has the same counter (block: read_bytes, write_count, ...; net: tx_packets_count,
    // ...; vcpu: exit_io, exit_mmio, ...); SharpVmm's own counters keep their instrument's name.
    private static string FirecrackerName(string group, string name, string? reason) => (group, name) switch
    {
        ("vcpu", _) => "exit_" + (reason ?? "unknown").Replace("KVM_EXIT_", "", StringComparison.Ordinal).ToLowerInvariant(),
        ("block", "reads") => "read_count",
        ("block", "writes") => "write_count",
        ("block", "read") => "read_bytes",
        ("block", "written") => "write_bytes",
        ("block", "flushes") => "flush_count",
        ("block", "errors") => "execute_fails",
        ("block", "throttled") => "rate_limiter_throttled_events",
        ("net", "tx_frames") => "tx_packets_count",
        ("net", "tx_bytes") => "tx_bytes_count",
        ("net", "rx_frames") => "rx_packets_count",
        ("net", "rx_bytes") => "rx_bytes_count",
        ("net", "dropped") => "dropped_frames_count",
        ("net", "rx_throttled") => "rx_rate_limiter_throttled",
        ("net", "tx_throttled") => "tx_rate_limiter_throttled",
        _ => reason is null ? name : $"{name}_{reason}",
    };

    private static void Add(SortedDictionary<string, SortedDictionary<string, long>> groups, string group, string counter, long value)
    {
        if (!groups.TryGetValue(group, out SortedDictionary<string, long>? counters))
        {
            groups[group] = counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        }

        counters[counter] = counters.GetValueOrDefault(counter) + value;
    }
}
