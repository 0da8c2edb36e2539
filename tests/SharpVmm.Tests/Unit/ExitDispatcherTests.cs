using System.Runtime.InteropServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Exits;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>Drives the dispatcher with hand-made kvm_run areas, as KVM would fill them.</summary>
[Tier(TestTiers.Unit)]
public class ExitDispatcherTests
{
    private const int AreaSize = 3 * 4096;
    private const int PioOffset = 4096;

    private readonly IoBus _io = new();
    private readonly MmioBus _mmio = new();
    private readonly byte[] _area = new byte[AreaSize];

    private ref KvmRun Run => ref MemoryMarshal.AsRef<KvmRun>(_area.AsSpan());

    private ExitOutcome Dispatch(IExitTracer? tracer = null) =>
        new ExitDispatcher(_io, _mmio, tracer).Dispatch(0, new VcpuExit(_area));

    private void SetIo(byte direction, ushort port, byte size, uint count, ReadOnlySpan<byte> data)
    {
        Run.ExitReason = (uint)KvmExitReason.Io;
        Run.Io = new KvmRunIo { Direction = direction, Port = port, Size = size, Count = count, DataOffset = PioOffset };
        data.CopyTo(_area.AsSpan(PioOffset));
    }

    [Fact]
    public void String_output_is_split_into_count_accesses_of_size_bytes()
    {
        var device = new RecordingDevice();
        _io.Register(0x500, 4, device);
        SetIo(VcpuExit.IoOut, 0x500, 2, 3, [1, 0, 2, 0, 3, 0]);

        Assert.Equal(ExitDisposition.Continue, Dispatch().Disposition);

        Assert.Equal([1UL, 2UL, 3UL], device.Writes.Select(w => w.Value));
        Assert.All(device.Writes, w => Assert.Equal(2, w.Data.Length));
    }

    [Fact]
    public void String_input_fills_every_element_of_the_pio_buffer()
    {
        int n = 0;
        _io.Register(0x500, 1, new RecordingDevice((_, _) => (ulong)(0x10 + n++)));
        SetIo(VcpuExit.IoIn, 0x500, 1, 4, [0, 0, 0, 0]);

        Dispatch();

        Assert.Equal([0x10, 0x11, 0x12, 0x13], _area.AsSpan(PioOffset, 4).ToArray());
    }

    [Fact]
    public void Unclaimed_port_reads_return_all_ones()
    {
        SetIo(VcpuExit.IoIn, 0x1234, 4, 1, [0, 0, 0, 0]);

        Dispatch();

        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], _area.AsSpan(PioOffset, 4).ToArray());
        Assert.Equal(1, _io.UnclaimedReads);
    }

    [Fact]
    public void A_data_offset_outside_the_area_is_fatal_not_a_crash()
    {
        SetIo(VcpuExit.IoOut, 0x500, 4, 100_000, []);

        ExitOutcome outcome = Dispatch();

        Assert.Equal(ExitDisposition.Fatal, outcome.Disposition);
        Assert.Equal(VmStopReason.UnhandledExit, outcome.StopReason);
    }

    [Fact]
    public void Mmio_writes_and_reads_reach_the_device_at_its_offset()
    {
        var device = new RecordingDevice((offset, _) => 0xCAFE0000 + offset);
        _mmio.Register(0xD000_0000, 0x1000, device);
        Run.ExitReason = (uint)KvmExitReason.Mmio;
        Run.Mmio.PhysAddr = 0xD000_0010;
        Run.Mmio.Len = 4;
        Run.Mmio.IsWrite = 0;

        Dispatch();

        Assert.Equal(0xCAFE0010u, BitConverter.ToUInt32(_area, KvmRun.ExitUnionOffset + 8));
        Assert.Equal(0x10UL, device.Accesses.Single().Offset);
    }

    [Fact]
    public void Tracer_sees_each_port_access()
    {
        var tracer = new ListTracer();
        _io.Register(0x10, 1, new RecordingDevice());
        SetIo(VcpuExit.IoOut, 0x10, 2, 1, [7, 1]);

        Dispatch(tracer);

        Assert.Equal([(0x10, true, 0x107UL)], tracer.Ports);
    }

    [Fact]
    public void On_a_pc_platform_a_triple_fault_is_a_reset_not_an_error()
    {
        Run.ExitReason = (uint)KvmExitReason.Shutdown;

        ExitOutcome outcome = new ExitDispatcher(_io, _mmio) { TripleFaultResets = true }.Dispatch(0, new VcpuExit(_area));

        Assert.Equal((ExitDisposition.Fatal, VmStopReason.GuestReset), (outcome.Disposition, outcome.StopReason));
        Assert.Contains("triple fault", outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KvmExitReason.Hlt, ExitDisposition.Halt, default(VmStopReason))]
    [InlineData(KvmExitReason.Shutdown, ExitDisposition.Fatal, VmStopReason.TripleFault)]
    [InlineData(KvmExitReason.FailEntry, ExitDisposition.Fatal, VmStopReason.EntryFailure)]
    [InlineData(KvmExitReason.InternalError, ExitDisposition.Fatal, VmStopReason.InternalError)]
    [InlineData(KvmExitReason.SystemEvent, ExitDisposition.Fatal, VmStopReason.SystemEvent)]
    [InlineData(KvmExitReason.Intr, ExitDisposition.Continue, default(VmStopReason))]
    [InlineData(KvmExitReason.Hypercall, ExitDisposition.Fatal, VmStopReason.UnhandledExit)]
    [InlineData((KvmExitReason)200, ExitDisposition.Fatal, VmStopReason.UnhandledExit)]
    public void Exit_reasons_map_to_dispositions(KvmExitReason reason, ExitDisposition disposition, VmStopReason stop)
    {
        Run.ExitReason = (uint)reason;

        ExitOutcome outcome = Dispatch();

        Assert.Equal(disposition, outcome.Disposition);
        if (disposition == ExitDisposition.Fatal)
        {
            Assert.Equal(stop, outcome.StopReason);
            Assert.False(string.IsNullOrWhiteSpace(outcome.Detail));
        }
    }

    [Fact]
    public void Entry_failure_reports_the_hardware_reason()
    {
        Run.ExitReason = (uint)KvmExitReason.FailEntry;
        Run.FailEntry = new KvmRunFailEntry { HardwareEntryFailureReason = 0x80000021, Cpu = 3 };

        ExitOutcome outcome = Dispatch();

        Assert.Equal("KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason = 0x80000021 on host CPU 3", outcome.Detail);
    }

    [Fact]
    public void Emulation_failure_reports_the_instruction_bytes()
    {
        Run.ExitReason = (uint)KvmExitReason.InternalError;
        Run.EmulationFailure.Suberror = 1;
        Run.EmulationFailure.Flags = 1;
        Run.EmulationFailure.InsnSize = 3;
        _area[KvmRun.ExitUnionOffset + 17] = 0x0F;
        _area[KvmRun.ExitUnionOffset + 18] = 0x01;
        _area[KvmRun.ExitUnionOffset + 19] = 0xCB;

        ExitOutcome outcome = Dispatch();

        Assert.Equal("KVM_EXIT_INTERNAL_ERROR: suberror = 0x1 (KVM could not emulate an instruction), instruction bytes: 0f01cb", outcome.Detail);
    }

    [Fact]
    public void A_short_run_area_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new VcpuExit(new byte[100]));
    }

    private sealed class ListTracer : IExitTracer
    {
        public List<(int Port, bool Write, ulong Value)> Ports { get; } = [];

        public void OnPortIo(int vcpuId, ushort port, bool isWrite, ReadOnlySpan<byte> data) =>
            Ports.Add((port, isWrite, data.ToArray().Select((b, i) => (ulong)b << (8 * i)).Aggregate((a, b) => a | b)));

        public void OnMmio(int vcpuId, ulong address, bool isWrite, ReadOnlySpan<byte> data)
        {
        }
    }
}
