using SharpVmm.Tests.Support;
using SharpVmm.Exits;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class VcpuReportTests
{
    [Fact]
    public void The_reset_state_is_called_out_as_such()
    {
        using var memory = GuestMemory.CreateFlat(1 << 20);
        var regs = new KvmRegs { Rip = 0xFFF0, Rflags = 2 };
        var sregs = new KvmSregs { Cs = new KvmSegment { Selector = 0xF000, Base = 0xFFFF_0000, Limit = 0xFFFF }, Cr0 = 0x6000_0010 };

        string report = VcpuReport.Format(regs, sregs, null, memory);

        Assert.Contains(VcpuReport.ResetStateNote, report, StringComparison.Ordinal);
    }

    [Fact]
    public void Ordinary_state_has_no_reset_note()
    {
        using var memory = GuestMemory.CreateFlat(1 << 20);
        var regs = new KvmRegs { Rip = 0x1000, Rax = 0xFEEDF00D, Rflags = 2 };
        var sregs = new KvmSregs { Cs = new KvmSegment { Limit = 0xFFFF }, Cr0 = 0x10 };

        string report = VcpuReport.Format(regs, sregs, 0x1000, memory);

        Assert.DoesNotContain("reset state", report, StringComparison.Ordinal);
        Assert.Contains("rax=0x00000000feedf00d", report, StringComparison.Ordinal);
    }
}
