using SharpVmm.Boot;
using Microsoft.Extensions.Logging;
using SharpVmm.Configuration;
using SharpVmm.Devices.Legacy;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.Platform;
using SharpVmm.X86;

namespace SharpVmm;

/// <summary>
/// Builds the <see cref="MicroVm"/> for a <see cref="VmConfig.RawGuest"/>: memory, vCPUs in the chosen mode, COM1 at
/// 0x3f8 (no interrupt line: a raw guest has no interrupt controller) and isa-debug-exit at 0xf4.
/// </summary>
internal static class RawGuestVmBuilder
{
    private const ushort SerialPort = 0x3F8;

    /// <summary>Builds the VM; with <paramref name="restore"/>, around a snapshot's memory, without placing the image.</summary>
    public static MicroVm Build(VmConfig config, MicroVmOptions options, RestorePlan? restore = null)
    {
        RawGuestConfig raw = config.RawGuest!;
        GuestEntryPoint entry = GuestEntryPoint.For(raw);
        byte[] image = restore is not null ? [] : BuiltInGuests.Find(raw.ImagePath) ?? RawImageLoader.ReadFile(raw.ImagePath); // a bad path before KVM

        CappedOutputStream? consoleFile = ConsoleOutputFile.Open(config.Console);
        VirtualMachine? vm = null;
        try
        {
            // Guest memory, the KVM VM and the vCPUs (no irqchip: a raw guest gets no interrupt controller).
            var builder = new VirtualMachineBuilder()
                .WithMemory(config.Machine.MemorySize)
                .WithVcpus(config.Machine.VcpuCount)
                .WithKvmDevice(options.KvmDevicePath)
                .WithDirtyPageTracking(config.Machine.TrackDirtyPages);
            if (restore is not null)
            {
                builder.WithMemorySource(restore.Memory);
            }

            ILogger logger = options.LoggerFactory.CreateLogger<MicroVm>();
            builder.OnFirstUnclaimedAccess((bus, address, write) => MicroVm.LogUnclaimed(logger, bus, address, write));
            SerialOrderedTracer? tracer = options.ExitTracer is null ? null : new SerialOrderedTracer(options.ExitTracer);
            if (tracer is not null)
            {
                builder.WithExitTracer(tracer);
            }

            vm = builder.Build();
            if (config.Machine.TrackDirtyPages)
            {
                vm.Memory.StartWriteTracking(); // the VMM's own writes, which KVM's dirty log does not see
            }

            // Then the devices; isa-debug-exit ends the run through the VM's control.
            var uart = new Uart8250(consoleFile ?? options.ConsoleOutput);
            if (tracer is not null)
            {
                tracer.Serial = uart;
            }
            vm.Devices
                .AddIoDevice(SerialPort, Uart8250.PortCount, uart)
                .Owns(uart)
                .AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(vm.Devices.Control.RequestDebugExit));
            if (config.Machine.TestDevices)
            {
                PcTestDevices.Attach(vm.Devices); // no interrupt controller: the line ports accept writes that reach nothing
            }

            // Last, the image in memory and the vCPUs' start state (a restored VM has both from the snapshot).
            if (restore is null)
            {
                RawImageLoader.Load(raw.ImagePath, image, vm.Memory, new GuestAddress(raw.LoadAddress));
                foreach (Vcpu vcpu in vm.Vcpus)
                {
                    EnterMode(vcpu, vm.Memory, raw.Mode, entry);
                    SetRegisters(vcpu, raw.Registers);
                }
            }

            return new MicroVm(config, vm, new MicroVmParts { ConsoleInput = uart.EnqueueInput, Logger = logger, ConsoleFile = consoleFile, Serial = uart });
        }
        catch
        {
            vm?.Dispose();
            consoleFile?.Dispose();
            throw;
        }
    }

    private static void SetRegisters(Vcpu vcpu, IReadOnlyDictionary<string, ulong> registers)
    {
        if (registers.Count == 0)
        {
            return;
        }

        KvmRegs regs = vcpu.Kvm.GetRegs();
        foreach ((string name, ulong value) in registers)
        {
            GeneralRegisters.Set(ref regs, name, value);
        }

        vcpu.Kvm.SetRegs(regs);
    }

    private static void EnterMode(Vcpu vcpu, GuestMemory memory, CpuMode mode, GuestEntryPoint entry)
    {
        switch (mode)
        {
            case CpuMode.Real:
                CpuModeSetup.EnterRealMode(vcpu.Kvm, entry.Segment!.Value, (ushort)entry.Offset);
                break;
            case CpuMode.Protected32:
                CpuModeSetup.EnterProtectedMode(vcpu.Kvm, memory, (uint)entry.Offset);
                break;
            case CpuMode.Long64:
                CpuModeSetup.EnterLongMode(vcpu.Kvm, memory, entry.Offset);
                break;
        }
    }
}
