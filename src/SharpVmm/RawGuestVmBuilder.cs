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

    public static MicroVm Build(VmConfig config, MicroVmOptions options)
    {
        RawGuestConfig raw = config.RawGuest!;
        GuestEntryPoint entry = GuestEntryPoint.For(raw);
        byte[] image = BuiltInGuests.Find(raw.ImagePath) ?? RawImageLoader.ReadFile(raw.ImagePath); // a bad path before KVM

        FileStream? consoleFile = config.Console.OutputPath is { } path ? ConsoleOutputFile.Open(path) : null;
        try
        {
            var builder = new VirtualMachineBuilder()
                .WithMemory(config.Machine.MemorySize)
                .WithVcpus(config.Machine.VcpuCount)
                .WithKvmDevice(options.KvmDevicePath);
            ILogger logger = options.LoggerFactory.CreateLogger<MicroVm>();
            builder.OnFirstUnclaimedAccess((bus, address, write) => MicroVm.LogUnclaimed(logger, bus, address, write));
            var uart = new Uart8250(consoleFile ?? options.ConsoleOutput);
            builder.AddIoDevice(SerialPort, Uart8250.PortCount, uart);
            VirtualMachine? built = null;
            builder.AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(status => built?.RequestDebugExit(status)))
                .WhenBuilt(vm => built = vm);
            if (config.Machine.TestDevices)
            {
                PcTestDevices.AddTo(builder); // no interrupt controller: the line ports accept writes that reach nothing
            }

            if (options.ExitTracer is not null)
            {
                builder.WithExitTracer(options.ExitTracer);
            }

            VirtualMachine vm = builder.Build();
            try
            {
                RawImageLoader.Load(raw.ImagePath, image, vm.Memory, new GuestAddress(raw.LoadAddress));
                foreach (Vcpu vcpu in vm.Vcpus)
                {
                    EnterMode(vcpu, vm.Memory, raw.Mode, entry);
                    SetRegisters(vcpu, raw.Registers);
                }
            }
            catch
            {
                vm.Dispose();
                throw;
            }

            return new MicroVm(config, vm, new MicroVmParts { ConsoleInput = uart.EnqueueInput, Logger = logger, ConsoleFile = consoleFile });
        }
        catch
        {
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
