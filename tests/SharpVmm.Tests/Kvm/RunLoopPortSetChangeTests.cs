using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

// The set of ports a vCPU's run loop answers changes while the guest runs; a register keeps the copy of its value in
// the loop's block meanwhile (Vcpu.TakePublishedPorts), so what the loop answers after a change is the value now.
[Tier(TestTiers.KvmFast)]
public class RunLoopPortSetChangeTests
{
    private const ushort DevicePort = 0x500, StatusPort = DevicePort + 5, EchoPort = 0x510;

    [Fact]
    public void A_register_taken_out_of_the_loops_ports_and_put_back_is_answered_with_the_value_it_was_given_meanwhile()
    {
        var device = new PublishingDevice();
        var echo = new RecordingDevice();
        device.Status.Publish(0x60);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device).AddIoDevice(EchoPort, 4, echo));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            var wait = a.CreateLabel();
            a.mov(dx, StatusPort);
            a.Label(ref wait);
            a.@in(al, dx);
            a.cmp(al, 0x21);
            a.jne(wait); // 0x60 from the device, then all ones from nothing, until the host publishes 0x21
            a.mov(dx, EchoPort);
            a.@out(dx, al);
            a.hlt();
        }));

        vm.Start();
        Assert.True(SpinWait.SpinUntil(() => vm.Vcpus[0].ExitsAnsweredInRunLoop > 0, TimeSpan.FromSeconds(30)), "the run loop answered nothing in 30 s");
        Assert.True(vm.IoBus.Unregister(DevicePort)); // out of the set: the port is unclaimed now
        Assert.True(SpinWait.SpinUntil(() => vm.IoBus.UnclaimedByAddress.ContainsKey(StatusPort), TimeSpan.FromSeconds(30)),
            "the guest did not read the unclaimed port in 30 s");
        device.Status.Publish(0x21); // while its port is not answered from it
        vm.IoBus.Register(DevicePort, 8, device); // back in the set
        VmRunResult result = vm.WaitForExit(TestVm.DefaultTimeLimit);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal([0x21UL], echo.Writes.Select(w => w.Value));
    }
}
