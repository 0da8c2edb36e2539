using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

// A port no device decodes is answered by the vCPU's run loop as the bus would answer it, from the guest's first access
// on: all ones for a read of any width, a write dropped, and every access counted on the bus.
[Tier(TestTiers.KvmFast)]
public class UnclaimedPortRunLoopTests
{
    private const ushort ProbedPort = 0x1234, EchoPort = 0x510, ClaimPort = 0x520;
    private const int Probes = 200;

    [Fact]
    public void A_guest_probing_an_unclaimed_port_reads_all_ones_of_each_width_from_the_run_loop_from_the_first_access_and_the_bus_counts_every_access()
    {
        var echo = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(EchoPort, 4, echo));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            // Two exits first, so that the run loop has run and handed exits back before the probed port joins it.
            a.mov(dx, EchoPort);
            a.xor(eax, eax);
            a.@out(dx, eax);
            a.@out(dx, eax);
            a.xor(ebx, ebx);
            a.xor(esi, esi);
            ProbeLoop(a, () =>
            {
                a.@in(ax, dx);
                a.movzx(eax, ax);
                a.add(ebx, eax);
                a.@in(eax, dx);
                a.add(esi, eax); // 0xFFFFFFFF each time: minus one
                a.@out(dx, eax); // dropped
            });
            a.mov(dx, EchoPort);
            a.mov(eax, ebx);
            a.@out(dx, eax);
            a.mov(eax, esi);
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal([0UL, 0UL, (ulong)Probes * (0xFF + 0xFFFF), unchecked((uint)-Probes)], echo.Writes.Select(w => w.Value));
        Assert.Equal(3 * Probes, vm.IoBus.UnclaimedReads);
        Assert.Equal(Probes, vm.IoBus.UnclaimedWrites);
        Assert.Equal(4 * Probes, vm.IoBus.UnclaimedByAddress[ProbedPort]);
        Assert.Equal(4 * Probes + 5, vm.ExitCount); // the probes, four echoes and the HLT
        Assert.Equal(4 * Probes, vm.Vcpus[0].ExitsAnsweredInRunLoop); // the first too: the port is in the loop's unclaimed ranges
    }

    [Fact]
    public void A_device_registered_at_a_port_the_run_loop_answered_as_unclaimed_gets_its_accesses_from_then_on()
    {
        var echo = new RecordingDevice();
        var late = new RecordingDevice((_, _) => 0x42);
        var claim = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(EchoPort, 4, echo).AddIoDevice(ClaimPort, 1, claim));
        claim.Written += () => vm.IoBus.Register(ProbedPort, 1, late);
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            foreach (bool claimed in new[] { false, true })
            {
                if (claimed)
                {
                    a.mov(dx, ClaimPort);
                    a.@out(dx, al); // the device arrives
                }

                a.xor(ebx, ebx);
                ProbeLoop(a, () => { });
                a.mov(dx, EchoPort);
                a.mov(eax, ebx);
                a.@out(dx, eax);
            }

            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal([(ulong)Probes * 0xFF, (ulong)Probes * 0x42], echo.Writes.Select(w => w.Value));
        Assert.Equal(Probes, late.Accesses.Count);
        Assert.Equal(Probes, vm.IoBus.UnclaimedReads);
    }

    // Probes times: a byte read of the probed port added to ebx, then whatever else the test reads or writes there.
    private static void ProbeLoop(Iced.Intel.Assembler a, Action more)
    {
        a.mov(ecx, Probes);
        a.mov(dx, ProbedPort);
        var loop = a.CreateLabel();
        a.Label(ref loop);
        a.@in(al, dx);
        a.movzx(eax, al);
        a.add(ebx, eax);
        more();
        a.dec(ecx);
        a.jnz(loop);
    }
}
