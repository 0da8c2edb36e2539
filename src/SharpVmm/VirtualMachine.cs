using System.Runtime.CompilerServices;
using System.Diagnostics;
using SharpVmm.Devices.Bus;
using SharpVmm.Exits;
using SharpVmm.Kvm;
using SharpVmm.Memory;

namespace SharpVmm;

/// <summary>
/// A running or runnable KVM virtual machine: guest memory, vCPUs (one host thread each), and the I/O and MMIO
/// buses their exits are dispatched to. Create it with <see cref="VirtualMachineBuilder"/>, which makes the memory, the KVM
/// VM, its irqchip and the vCPUs; then attach devices through <see cref="Devices"/>, each built with what it needs, before
/// <see cref="Start"/>. The VM is the <see cref="IVmControl"/> its devices end the run through (VirtualMachine.Control.cs).
/// </summary>
public sealed partial class VirtualMachine : IDisposable
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);

    private readonly KvmSystem _kvm;
    private readonly KvmVm _vm;
    private readonly Vcpu[] _vcpus;
    private readonly Lock _stateLock = new();
    private readonly ManualResetEventSlim _finished = new();
    private readonly Lock _lifecycleLock = new();
    private volatile VmState _state = VmState.NotStarted;
    private int _running;
    private long _wakes;
    private long _exitCount;
    private long _maxExits = long.MaxValue;
    private volatile bool _stopping;
    private VmRunResult? _result;
    private bool _disposed;

    internal VirtualMachine(KvmSystem kvm, KvmVm vm, GuestMemory memory, GuestRamLayout ramLayout, IoBus io, MmioBus mmio, IExitTracer? tracer, bool hasIrqchip,
        bool tripleFaultResets, IEnumerable<IDisposable> owned, Func<VirtualMachine, Vcpu[]> createVcpus)
    {
        HasIrqchip = hasIrqchip;
        _kvm = kvm;
        _vm = vm;
        Memory = memory;
        RamLayout = ramLayout;
        IoBus = io;
        MmioBus = mmio;
        EmulationFailures = new EmulationFailureHandler(memory);
        Dispatcher = new ExitDispatcher(io, mmio, tracer, EmulationFailures) { TripleFaultResets = tripleFaultResets };
        _vcpus = createVcpus(this);
        Devices = new VmDevices(this, owned);
        io.PublishedRegistersChanged += OnPortBusChanged;
        io.RangesChanged += OnPortBusChanged; // an unclaimed port the loops answer may be claimed now
    }

    /// <summary>
    /// Where devices are attached, with the memory, interrupt lines, MSI sink and <see cref="IVmControl"/> they are built
    /// with; open until <see cref="Start"/>.
    /// </summary>
    public VmDevices Devices { get; }

    /// <summary>Guest-physical memory.</summary>
    public GuestMemory Memory { get; }

    /// <summary>Where <see cref="Memory"/> lies: below the 32-bit device hole, and from 4 GiB when it does not fit there.</summary>
    public GuestRamLayout RamLayout { get; }

    /// <summary>The port I/O bus.</summary>
    public IoBus IoBus { get; }

    /// <summary>The MMIO bus.</summary>
    public MmioBus MmioBus { get; }

    /// <summary>Handles the instructions KVM's emulator cannot run, and counts them (<see cref="EmulationFailureHandler.HandledCounts"/>).</summary>
    public EmulationFailureHandler EmulationFailures { get; }

    /// <summary>The vCPUs, indexed by id.</summary>
    public IReadOnlyList<Vcpu> Vcpus => _vcpus;

    /// <summary>Whether KVM's in-kernel PIC, IOAPIC, local APICs and PIT are present.</summary>
    public bool HasIrqchip { get; }

    /// <summary>The KVM VM handle (for platform set-up such as irqchip creation).</summary>
    public KvmVm Kvm => _vm;

    /// <summary>The KVM system handle.</summary>
    public KvmSystem KvmSystem => _kvm;

    /// <summary>Exits handled so far, all vCPUs together.</summary>
    public long ExitCount => Interlocked.Read(ref _exitCount);

    /// <summary>Exits by site and the time spent on them, once <see cref="CollectExitStatistics"/> turned it on; null until then.</summary>
    public Diagnostics.ExitStatistics? ExitStatistics { get; private set; }

    /// <summary>
    /// Starts counting and timing exits by port, MMIO address and exit reason (<see cref="Diagnostics.ExitStatistics"/>),
    /// and returns the table; call it before <see cref="Run"/> to see every exit. Idempotent.
    /// </summary>
    public Diagnostics.ExitStatistics CollectExitStatistics() => ExitStatistics ??= new Diagnostics.ExitStatistics();

    /// <summary>
    /// True after a <see cref="Dispose"/> that found a vCPU thread still running after 10 seconds: the devices were
    /// released, but guest memory, the vCPUs' <c>kvm_run</c> and the KVM descriptors were kept (leaked) because that
    /// thread could still touch them.
    /// </summary>
    public bool RetainedAfterDispose { get; private set; }

    internal ExitDispatcher Dispatcher { get; }

    internal bool IsStopping => _stopping;

    internal ParkingGate Suspension { get; } = new();

    internal ParkingGate PauseGate { get; } = new();

    /// <summary>Where the VM is in its life (see <see cref="VmState"/>).</summary>
    public VmState State => _state;

    /// <summary>
    /// Raised after every change of <see cref="State"/>, on the thread that made it (a vCPU thread when the guest ends
    /// the run): handlers must not block, nor call <see cref="Pause"/> or <see cref="Resume"/>.
    /// </summary>
    public event EventHandler<VmStateChangedEventArgs>? StateChanged;

    /// <summary>Starts every vCPU thread and waits until the run ends (see <see cref="VmRunResult.Reason"/>).</summary>
    public VmRunResult Run(VmRunOptions? options = null)
    {
        Start(options);
        return WaitForExit(options?.TimeLimit);
    }

    /// <summary>Starts every vCPU thread and returns at once.</summary>
    public void Start(VmRunOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_stateLock)
        {
            if (_running != 0 || _result is not null)
            {
                throw new InvalidOperationException("a VirtualMachine runs once");
            }

            _maxExits = options?.MaxExits ?? long.MaxValue;
            _running = _vcpus.Length;
        }

        bool paused = options?.StartPaused == true;
        if (paused)
        {
            PauseGate.Close(); // each thread parks before its first KVM_RUN
        }

        ChangeState(VmState.Running);

        VcpuThreadSignal.EnsureInstalled();
        foreach (Vcpu vcpu in _vcpus)
        {
            vcpu.Start();
        }

        if (paused)
        {
            lock (_lifecycleLock)
            {
                PauseDevicesOnceParked();
            }
        }
    }

    /// <summary>Waits for the run to end; after <paramref name="timeLimit"/>, stops it and reports <see cref="VmStopReason.TimeLimitReached"/>.</summary>
    public VmRunResult WaitForExit(TimeSpan? timeLimit = null)
    {
        if (!_finished.Wait(timeLimit ?? Timeout.InfiniteTimeSpan))
        {
            Finish(new VmRunResult(VmStopReason.TimeLimitReached, null, $"time limit of {timeLimit} reached", null, ExitCount));
        }

        // A guest stopped by the time limit may be hung: where it was is the first thing its user needs.
        bool joined = JoinAll();
        if (joined)
        {
            ReplayCoalescedWrites(); // the last bytes a guest wrote before it stopped
        }

        if (joined && _result!.Reason == VmStopReason.TimeLimitReached && _result.Report is null)
        {
            lock (_stateLock)
            {
                _result = _result with { Report = StateOfEveryVcpu() };
            }
        }

        if (joined && _result!.ExitCount != ExitCount)
        {
            // A stop from another thread took the count while a vCPU's run loop held exits it had answered but not yet
            // counted (PublishedPortRunLoop): with every vCPU thread gone, the count is final.
            lock (_stateLock)
            {
                _result = _result with { ExitCount = ExitCount };
            }
        }

        return _result!;
    }

    private string StateOfEveryVcpu()
    {
        var report = new System.Text.StringBuilder();
        foreach (Vcpu vcpu in _vcpus)
        {
            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"vCPU {vcpu.Id} when it was stopped:\n");
            report.Append(VcpuReport.Build(vcpu.Kvm, Memory));
        }

        return report.ToString();
    }

    /// <summary>
    /// Pauses a running VM: returns once every vCPU is out of <c>KVM_RUN</c> and parked, and every pausable device
    /// (<see cref="SharpVmm.Devices.IPausable"/>) has stopped touching guest memory and its queues. Guest memory and vCPU state
    /// then stay as they are until <see cref="Resume"/>. Pausing a paused VM does nothing. Call it from a thread of
    /// your own, never a vCPU's or a device's.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has not started or has stopped.</exception>
    /// <exception cref="TimeoutException">A vCPU did not leave <c>KVM_RUN</c> within 10 seconds (the VM is left running).</exception>
    public void Pause()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_lifecycleLock)
        {
            VmState state = State;
            if (state == VmState.Paused)
            {
                return;
            }

            if (state != VmState.Running)
            {
                throw new InvalidOperationException($"only a running VM can be paused; this one is {state}");
            }

            PauseGate.Close();
            foreach (Vcpu vcpu in _vcpus)
            {
                vcpu.Kick();
            }

            PauseDevicesOnceParked();
        }
    }

    // With the pause gate closed: waits for every vCPU to park, then pauses the devices. Under _lifecycleLock.
    private void PauseDevicesOnceParked()
    {
        // Threads parked for an S3 suspend are off KVM_RUN too; threads that ended are not counted in _running.
        if (!PauseGate.WaitForParked(() => Volatile.Read(ref _running) - Suspension.Parked, JoinTimeout))
        {
            PauseGate.Open(() => 0, () => { }, TimeSpan.Zero);
            throw new TimeoutException("the vCPUs did not leave KVM_RUN within 10 seconds; the VM goes on running");
        }

        ReplayCoalescedWrites();

        foreach (IDisposable resource in Devices.Owned)
        {
            (resource as SharpVmm.Devices.IPausable)?.Pause();
        }

        if (!_stopping)
        {
            ChangeState(VmState.Paused);
        }
    }

    /// <summary>Resumes a paused VM where it was: devices first, then the vCPUs. Resuming a running VM does nothing.</summary>
    /// <exception cref="InvalidOperationException">The VM has not started or has stopped.</exception>
    public void Resume()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_lifecycleLock)
        {
            VmState state = State;
            if (state == VmState.Running)
            {
                return;
            }

            if (state != VmState.Paused)
            {
                throw new InvalidOperationException($"only a paused VM can be resumed; this one is {state}");
            }

            for (int i = Devices.Owned.Count - 1; i >= 0; i--)
            {
                (Devices.Owned[i] as SharpVmm.Devices.IPausable)?.Resume();
            }

            PauseGate.Open(() => 0, () => { }, TimeSpan.Zero);
            ChangeState(VmState.Running);
        }
    }

    /// <summary>Stops every vCPU from any thread; <see cref="WaitForExit"/> then reports <see cref="VmStopReason.StopRequested"/>.</summary>
    public void Stop() => Finish(new VmRunResult(VmStopReason.StopRequested, null, "stop requested", null, ExitCount));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    internal void OnExitHandled()
    {
        if (Interlocked.Increment(ref _exitCount) >= _maxExits)
        {
            Finish(new VmRunResult(VmStopReason.ExitLimitReached, null, $"stopped after {_maxExits} exits", null, ExitCount));
        }
    }

    internal void OnVcpuFinished(Vcpu vcpu, ExitOutcome outcome, Exception? error = null, Diagnostics.DeviceFailure? failure = null)
    {
        if (outcome.Disposition == ExitDisposition.Fatal)
        {
            Interlocked.Increment(ref _exitCount);
            string summary = $"vCPU {vcpu.Id}: {outcome.Detail}";
            string report = ReportOrWhyNot(vcpu);
            Finish(new VmRunResult(outcome.StopReason, vcpu.Id, summary, report, ExitCount, error)
            {
                DeviceFailures = failure is null ? [] : [failure],
            });
        }
        else if (outcome.Disposition == ExitDisposition.Halt)
        {
            Interlocked.Increment(ref _exitCount);
        }

        if (Interlocked.Decrement(ref _running) == 0)
        {
            Finish(new VmRunResult(VmStopReason.AllVcpusHalted, outcome.Disposition == ExitDisposition.Halt ? vcpu.Id : null,
                KvmExitReasonNames.Of((uint)KvmExitReason.Hlt), null, ExitCount));
        }
    }

    // The report is read through KVM ioctls: on a vCPU thread that is ending anyway, their failure must not end the process.
    private string ReportOrWhyNot(Vcpu vcpu)
    {
        try
        {
            return VcpuReport.Build(vcpu.Kvm, Memory);
        }
        catch (Exception ex) when (ex is KvmException or Sys.SystemCallException)
        {
            return $"(the vCPU's state could not be read: {ex.Message})\n";
        }
    }

    // The first result wins; everything after it only makes sure all vCPUs leave KVM_RUN.
    private void Finish(VmRunResult result)
    {
        lock (_stateLock)
        {
            _result ??= result;
            _stopping = true;
        }

        foreach (Vcpu vcpu in _vcpus)
        {
            vcpu.Kick();
        }

        Suspension.Release();
        PauseGate.Release();
        _finished.Set();
        ChangeState(VmState.Stopped);
    }

    private void ChangeState(VmState next)
    {
        VmState previous;
        lock (_stateLock)
        {
            previous = _state;
            // Stopped is final: a pause or resume racing with the end of the run does not undo it.
            if (previous == next || previous == VmState.Stopped)
            {
                return;
            }

            _state = next;
        }

        StateChanged?.Invoke(this, new VmStateChangedEventArgs(previous, next));
    }

    private bool JoinAll()
    {
        bool all = true;
        var clock = Stopwatch.StartNew();
        foreach (Vcpu vcpu in _vcpus)
        {
            TimeSpan left = JoinTimeout - clock.Elapsed;
            all &= vcpu.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        return all;
    }
}
