using System.Diagnostics.Metrics;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Kvm;
using SharpVmm.Platform;

namespace SharpVmm.Diagnostics;

/// <summary>
/// A VM's counters as <see cref="System.Diagnostics.Metrics"/> instruments on the meter <see cref="MeterName"/>
/// (tagged <c>vm</c>): exits by reason, unclaimed bus accesses, and each virtio device's counters (tagged
/// <c>device</c>). They are observable instruments that read the counters the VM and devices keep anyway, so
/// nothing is added to the exit path; a listener (<c>dotnet-counters</c>, OpenTelemetry, a
/// <see cref="MeterListener"/>) reads them when it collects.
/// </summary>
public sealed class VmMetrics : IDisposable
{
    /// <summary>The meter every SharpVmm VM publishes on.</summary>
    public const string MeterName = "SharpVmm";

    private static int s_nextId;
    private readonly Meter _meter;

    internal VmMetrics(VirtualMachine vm, VirtioPlatform? virtio)
    {
        Id = $"vm{Interlocked.Increment(ref s_nextId)}";
        _meter = new Meter(new MeterOptions(MeterName) { Tags = [new("vm", Id)] });
        _meter.CreateObservableCounter("sharpvmm.vm.exits", () => ExitsByReason(vm), "{exit}", "VM exits handled, by KVM exit reason");
        _meter.CreateObservableCounter("sharpvmm.vm.unclaimed_accesses", () => new[]
        {
            new Measurement<long>(vm.IoBus.UnclaimedReads + vm.IoBus.UnclaimedWrites, new KeyValuePair<string, object?>("bus", "io")),
            new Measurement<long>(vm.MmioBus.UnclaimedReads + vm.MmioBus.UnclaimedWrites, new KeyValuePair<string, object?>("bus", "mmio")),
        }, "{access}", "Guest accesses to ports and MMIO addresses no device claims");
        if (virtio is null)
        {
            return;
        }

        IReadOnlyList<IVirtioDevice> devices = virtio.Devices;
        var blocks = devices.OfType<VirtioBlockDevice>().ToArray();
        var nets = devices.OfType<VirtioNetDevice>().ToArray();
        var rngs = devices.OfType<VirtioEntropyDevice>().ToArray();
        Counter("sharpvmm.virtio_blk.requests", "{request}", blocks, (b, _) => b.Name, b => b.Counters.Requests);
        Counter("sharpvmm.virtio_blk.reads", "{request}", blocks, (b, _) => b.Name, b => b.Counters.Reads);
        Counter("sharpvmm.virtio_blk.writes", "{request}", blocks, (b, _) => b.Name, b => b.Counters.Writes);
        Counter("sharpvmm.virtio_blk.read", "By", blocks, (b, _) => b.Name, b => b.Counters.BytesRead);
        Counter("sharpvmm.virtio_blk.written", "By", blocks, (b, _) => b.Name, b => b.Counters.BytesWritten);
        Counter("sharpvmm.virtio_blk.flushes", "{flush}", blocks, (b, _) => b.Name, b => b.Counters.Flushes);
        Counter("sharpvmm.virtio_blk.errors", "{request}", blocks, (b, _) => b.Name, b => b.Counters.Errors);
        Counter("sharpvmm.virtio_blk.throttled", "{event}", blocks, (b, _) => b.Name, b => b.RateLimiter.ThrottledEvents);
        Counter("sharpvmm.virtio_net.tx_frames", "{frame}", nets, NetName, n => n.TxFrames);
        Counter("sharpvmm.virtio_net.tx_bytes", "By", nets, NetName, n => n.TxBytes);
        Counter("sharpvmm.virtio_net.rx_frames", "{frame}", nets, NetName, n => n.RxFrames);
        Counter("sharpvmm.virtio_net.rx_bytes", "By", nets, NetName, n => n.RxBytes);
        Counter("sharpvmm.virtio_net.dropped", "{frame}", nets, NetName, n => n.RxDropped + n.TxDropped);
        Counter("sharpvmm.virtio_net.rx_throttled", "{event}", nets, NetName, n => n.RxRateLimiter.ThrottledEvents);
        Counter("sharpvmm.virtio_net.tx_throttled", "{event}", nets, NetName, n => n.TxRateLimiter.ThrottledEvents);
        Counter("sharpvmm.virtio_rng.bytes", "By", rngs, (_, i) => $"virtio-rng {i}", r => r.BytesProvided);
    }

    /// <summary>This VM's value of the <c>vm</c> tag.</summary>
    public string Id { get; }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private static string NetName(VirtioNetDevice device, int index) => $"virtio-net {index}";

    private void Counter<T>(string name, string unit, T[] devices, Func<T, int, string> deviceName, Func<T, long> read)
    {
        if (devices.Length == 0)
        {
            return;
        }

        var tags = devices.Select((d, i) => new KeyValuePair<string, object?>("device", deviceName(d, i))).ToArray();
        _meter.CreateObservableCounter(name, () => devices.Select((d, i) => new Measurement<long>(read(d), tags[i])), unit);
    }

    private static IEnumerable<Measurement<long>> ExitsByReason(VirtualMachine vm)
    {
        for (uint reason = 0; reason < 64; reason++)
        {
            long count = vm.Dispatcher.ExitsWithReason(reason);
            if (count > 0)
            {
                yield return new Measurement<long>(count, new KeyValuePair<string, object?>("reason", KvmExitReasonNames.Of(reason)));
            }
        }
    }
}
