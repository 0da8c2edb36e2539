using Microsoft.Extensions.Logging;
using SharpVmm.Configuration;
using SharpVmm.Diagnostics;
using SharpVmm.Devices.Legacy;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Platform;

namespace SharpVmm;

/// <summary>
/// A VM built from a <see cref="VmConfig"/>: guest memory, the KVM VM and its irqchip, the vCPUs, then the devices
/// the configuration lists, with a kernel loaded (<see cref="VmConfig.BootSource"/>) or a raw image placed
/// (<see cref="VmConfig.RawGuest"/>). Its life is <see cref="VmState.NotStarted"/> → <see cref="VmState.Running"/> ⇄
/// <see cref="VmState.Paused"/> → <see cref="VmState.Stopped"/>. Several can live in one process.
/// </summary>
/// <example>
/// <code>
/// var config = new VmConfig { BootSource = new BootSourceConfig { KernelImagePath = "vmlinux" } };
/// using var vm = MicroVm.Create(config, new MicroVmOptions { ConsoleOutput = Console.OpenStandardOutput() });
/// vm.Start();
/// vm.Pause();   // every vCPU parked, devices quiet
/// vm.Resume();
/// VmRunResult result = vm.WaitForExit();
/// </code>
/// </example>
public sealed partial class MicroVm : IDisposable
{
    private readonly IDisposable? _consoleFile;
    private readonly Action<ReadOnlySpan<byte>> _consoleInput;
    private readonly ILogger _logger;
    private readonly Devices.Legacy.I8042Controller? _keyboard;

    internal MicroVm(VmConfig config, VirtualMachine machine, MicroVmParts parts)
    {
        Config = config;
        Machine = machine;
        Virtio = parts.Virtio;
        KernelCommandLine = parts.CommandLine;
        KernelBoot = parts.Boot;
        _consoleInput = parts.ConsoleInput;
        _consoleFile = parts.ConsoleFile;
        _logger = parts.Logger;
        _keyboard = parts.Keyboard;
        Parts = parts;
        Metrics = new VmMetrics(machine, parts.Virtio);
        machine.StateChanged += (_, e) => VmLog.StateChanged(_logger, e.Previous, e.Current);
        parts.Serial.OutputFailed = error => VmLog.SerialOutputFailed(_logger, error.Message, error);
        if (parts.ConsoleFile is CappedOutputStream capped)
        {
            capped.LimitReached = c => VmLog.ConsoleOutputCapped(_logger, c.File.Name, c.Limit);
        }

        VmLog.Built(_logger, config.Machine.VcpuCount, config.Machine.MemSizeMib, parts.Virtio?.Devices.Count ?? 0);
    }

    /// <summary>The devices a snapshot saves, as the builder made them.</summary>
    internal MicroVmParts Parts { get; }

    /// <summary>The configuration this VM was built from.</summary>
    public VmConfig Config { get; }

    /// <summary>The VM underneath: memory, vCPUs, buses.</summary>
    public VirtualMachine Machine { get; }

    /// <summary>The virtio devices and their transport; null when the VM has none.</summary>
    public VirtioPlatform? Virtio { get; }

    /// <summary>The command line the kernel was given (with what SharpVmm added); null for a raw guest.</summary>
    public string? KernelCommandLine { get; }

    /// <summary>How the kernel was loaded; null for a raw guest.</summary>
    public KernelBootResult? KernelBoot { get; }

    /// <summary>The VM's counters as <c>System.Diagnostics.Metrics</c> instruments.</summary>
    public VmMetrics Metrics { get; }

    /// <summary>Where the VM is in its life.</summary>
    public VmState State => Machine.State;

    /// <summary>Raised after every change of <see cref="State"/> (see <see cref="VirtualMachine.StateChanged"/>).</summary>
    public event EventHandler<VmStateChangedEventArgs>? StateChanged
    {
        add => Machine.StateChanged += value;
        remove => Machine.StateChanged -= value;
    }

    /// <summary>
    /// Builds the VM <paramref name="config"/> describes, after validating its fields: every host resource it names
    /// (images, TAPs, the console file) is opened before KVM is touched, and one that cannot be is reported by the
    /// loader or device that needed it (<see cref="Boot.BootImageException"/>, <see cref="Devices.Virtio.Block.DiskImageException"/>,
    /// <see cref="Devices.Virtio.Net.TapException"/>). Call <see cref="VmConfig.Validate"/> first to have missing files
    /// reported by field instead.
    /// </summary>
    /// <exception cref="VmConfigurationException">A field is wrong; the exception names it.</exception>
    public static MicroVm Create(VmConfig config, MicroVmOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(checkHostResources: false);
        options ??= new MicroVmOptions();
        return config.BootSource is not null ? KernelVmBuilder.Build(config, options) : RawGuestVmBuilder.Build(config, options);
    }

    /// <summary>Types <paramref name="bytes"/> on the guest's console (COM1's receiver, or the virtio-console).</summary>
    public void SendConsoleInput(ReadOnlySpan<byte> bytes) => _consoleInput(bytes);

    /// <summary>
    /// Presses and releases Ctrl-Alt-Del on the PC keyboard, as Firecracker's <c>SendCtrlAltDel</c> does: a Linux guest
    /// reboots (which ends the VM). The codes are scan code set 1 while the controller translates (the default), set 2
    /// otherwise. False for a raw guest, which has no keyboard controller.
    /// </summary>
    public bool SendCtrlAltDel()
    {
        if (_keyboard is null)
        {
            return false;
        }

        bool translated = (_keyboard.CommandByte & 0x40) != 0;
        _keyboard.EnqueueKeyboardData(translated
            ? [0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D]
            : [0x14, 0x11, 0xE0, 0x71, 0xE0, 0xF0, 0x71, 0xF0, 0x11, 0xF0, 0x14]);
        return true;
    }

    /// <summary>Starts every vCPU and returns at once.</summary>
    public void Start(VmRunOptions? options = null) => Machine.Start(options);

    /// <summary>Runs the VM until it ends (see <see cref="VirtualMachine.Run"/>); the result lists the devices that failed.</summary>
    public VmRunResult Run(VmRunOptions? options = null)
    {
        Start(options);
        return WaitForExit(options?.TimeLimit);
    }

    /// <summary>Waits for the run to end; after <paramref name="timeLimit"/>, stops it. The result lists the devices that failed.</summary>
    public VmRunResult WaitForExit(TimeSpan? timeLimit = null)
    {
        VmRunResult result = Machine.WaitForExit(timeLimit);
        // What the guest printed before it ended reaches the console before the caller reports the ending (COM1's
        // output goes through a queue so that a slow reader never blocks a vCPU).
        Parts.Serial.FlushOutput(TimeSpan.FromSeconds(2));
        // A device that threw on a vCPU thread is already in the result; the virtio workers' failures join it.
        IReadOnlyList<DeviceFailure> failures = [.. result.DeviceFailures, .. Virtio?.Failures() ?? []];
        foreach (DeviceFailure failure in failures)
        {
            VmLog.DeviceFailed(_logger, failure.Device, failure.Error.Message, failure.Error);
        }

        VmLog.RunEnded(_logger, result.Summary);
        return failures.Count == result.DeviceFailures.Count ? result : result with { DeviceFailures = failures };
    }

    /// <summary>Pauses the VM (see <see cref="VirtualMachine.Pause"/>).</summary>
    public void Pause() => Machine.Pause();

    /// <summary>Resumes a paused VM.</summary>
    public void Resume() => Machine.Resume();

    /// <summary>Ends the VM from any thread.</summary>
    public void Stop() => Machine.Stop();

    /// <inheritdoc />
    public void Dispose()
    {
        Machine.Dispose();
        if (Machine.RetainedAfterDispose)
        {
            VmLog.MemoryRetained(_logger);
        }

        Metrics.Dispose();
        _consoleFile?.Dispose();
    }

    /// <summary>Logs the first unclaimed access to each address (the builder calls this once per address).</summary>
    internal static void LogUnclaimed(ILogger logger, Devices.Bus.DeviceBus bus, ulong address, bool isWrite) =>
        VmLog.UnclaimedAccess(logger, bus is Devices.Bus.IoBus ? "port" : "MMIO", isWrite ? "write" : "read", address);

    internal static Action<ReadOnlySpan<byte>> ConsoleInputOf(Uart8250 serial, VirtioConsoleDevice? virtioConsole) =>
        virtioConsole is null ? serial.EnqueueInput : virtioConsole.EnqueueInput;
}
