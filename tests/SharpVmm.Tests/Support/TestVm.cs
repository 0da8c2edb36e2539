using SharpVmm.Memory;
using SharpVmm.X86;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>Builds small VMs for integration tests. Every run has a time limit.</summary>
public static class TestVm
{
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(60);

    public static VirtualMachine Create(Action<VirtualMachineBuilder>? configure = null, ulong memory = 2 << 20, int vcpus = 1)
    {
        KvmTestEnvironment.RequireKvm();
        var builder = new VirtualMachineBuilder().WithMemory(memory).WithVcpus(vcpus);
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Loads code at <paramref name="address"/> and puts every vCPU at it in <paramref name="mode"/>.</summary>
    public static void Load(VirtualMachine vm, CpuMode mode, ulong address, byte[] code)
    {
        vm.Memory.Write(new GuestAddress(address), code);
        foreach (Vcpu vcpu in vm.Vcpus)
        {
            switch (mode)
            {
                case CpuMode.Real:
                    CpuModeSetup.EnterRealMode(vcpu.Kvm, (ushort)(address >> 4), (ushort)(address & 0xF));
                    break;
                case CpuMode.Protected32:
                    CpuModeSetup.EnterProtectedMode(vcpu.Kvm, vm.Memory, (uint)address);
                    break;
                case CpuMode.Long64:
                    CpuModeSetup.EnterLongMode(vcpu.Kvm, vm.Memory, address);
                    break;
            }
        }
    }

    /// <summary>Runs with a time limit; a run that hits the limit fails the test with the reason.</summary>
    public static VmRunResult RunToEnd(VirtualMachine vm, TimeSpan? limit = null)
    {
        VmRunResult result = vm.Run(new VmRunOptions { TimeLimit = limit ?? DefaultTimeLimit });
        Assert.True(result.Reason != VmStopReason.TimeLimitReached, $"guest did not finish within {limit ?? DefaultTimeLimit}");
        return result;
    }
}
