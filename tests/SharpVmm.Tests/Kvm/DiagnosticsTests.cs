using System.Diagnostics.Metrics;
using SharpVmm.Cli;
using SharpVmm.Configuration;
using SharpVmm.Devices;
using SharpVmm.Devices.Virtio;
using SharpVmm.Diagnostics;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>What a VM tells its user: metrics by exit reason, log lines, and devices that failed.</summary>
[Tier(TestTiers.KvmFast)]
public class DiagnosticsTests
{
    [Fact]
    public void The_exits_metric_counts_port_io_exits_of_this_vm_by_reason()
    {
        KvmTestEnvironment.RequireKvm();
        var config = new VmConfig
        {
            Machine = new MachineConfig { MemSizeMib = 1 },
            RawGuest = new RawGuestConfig { ImagePath = BuiltInGuests.KvmSamplePath, LoadAddress = 0x10000, Entry = "0x1000:0x0" },
        };
        using MicroVm vm = MicroVm.Create(config);
        VmRunResult result = vm.Run(new VmRunOptions { MaxExits = 25, TimeLimit = TestVm.DefaultTimeLimit });
        Assert.Equal(VmStopReason.ExitLimitReached, result.Reason);

        var seen = new Dictionary<string, long>();
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
            string tag = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            seen[$"{instrument.Name}[{tag}]"] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.True(seen.TryGetValue("sharpvmm.vm.exits[reason=KVM_EXIT_IO]", out long io), $"seen: {string.Join("; ", seen.Keys)}");
        Assert.InRange(io, 24, 25); // the guest does nothing but port writes; the last exit may be the one that hit the limit
        Assert.Equal(io, seen["sharpvmm.vm.unclaimed_accesses[bus=io]"]); // nothing claims port 0x10
    }

    [Fact]
    public void Debug_logging_names_each_unclaimed_port_once()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["demo", "kvmsample", "--max-exits", "6", "--log-level", "debug"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Single(result.Stderr.Split('\n'), line => line.Contains("unclaimed port write at 0x10", StringComparison.Ordinal));
        Assert.Contains("sharpvmm: debug: unclaimed port write at 0x10 (logged once per address)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_log_level_keeps_a_good_run_quiet_and_a_bad_level_is_a_usage_error()
    {
        KvmTestEnvironment.RequireKvm();

        var quiet = CliProcess.Run(["demo", "add"]);
        var bad = CliProcess.Run(["demo", "add", "--log-level", "loud"]);

        Assert.Equal("", quiet.Stderr);
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.StartsWith("sharpvmm: error: --log-level must be", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_whose_host_side_failed_is_listed_with_its_error()
    {
        KvmTestEnvironment.RequireKvm();
        using VirtualMachine vm = TestVm.Create(b => PcPlatform.Machine(b), memory: 16 << 20);
        VirtioPlatform virtio = VirtioPlatform.Attach(vm.Devices);
        virtio.Add(new FailedDevice(new IOException("disk went away")));

        DeviceFailure failure = Assert.Single(virtio.Failures());

        Assert.Equal("virtio-block", failure.Device);
        Assert.Equal("disk went away", failure.Error.Message);
        var result = new VmRunResult(VmStopReason.GuestPowerOff, null, "guest powered off", null, 1) { DeviceFailures = [failure] };
        Assert.Equal(ExitCodes.DeviceBackend, ExitCodes.For(result));
    }

    private sealed class FailedDevice(Exception failure) : IVirtioDevice, IDeviceHealth
    {
        private readonly FakeVirtioDevice _inner = new(VirtioFeatures.Version1, 8);

        public Exception? Failure => failure;

        public VirtioDeviceType DeviceType => _inner.DeviceType;

        public ulong DeviceFeatures => _inner.DeviceFeatures;

        public IReadOnlyList<ushort> QueueMaxSizes => _inner.QueueMaxSizes;

        public int ConfigSize => _inner.ConfigSize;

        public void ReadConfig(uint offset, Span<byte> data) => _inner.ReadConfig(offset, data);

        public void WriteConfig(uint offset, ReadOnlySpan<byte> data) => _inner.WriteConfig(offset, data);

        public void Activate(VirtioActivation activation) => _inner.Activate(activation);

        public void Notify(int queueIndex) => _inner.Notify(queueIndex);

        public void Reset() => _inner.Reset();

        public void Dispose() => _inner.Dispose();
    }
}
