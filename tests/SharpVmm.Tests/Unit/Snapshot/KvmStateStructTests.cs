using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Snapshot;

/// <summary>
/// The structs a snapshot moves through KVM, against the sizes in &lt;linux/kvm.h&gt; and &lt;asm/kvm.h&gt; (x86-64);
/// Interop/KvmLayoutTests also compiles the headers and checks their fields' offsets.
/// </summary>
[Tier(TestTiers.Unit)]
public class KvmStateStructTests
{
    [Fact]
    public void The_snapshot_structs_have_the_kernel_headers_sizes()
    {
        Assert.Equal(4096, Unsafe.SizeOf<KvmXsave>());
        Assert.Equal(16, Unsafe.SizeOf<KvmXcr>());
        Assert.Equal(392, Unsafe.SizeOf<KvmXcrs>());
        Assert.Equal(128, Unsafe.SizeOf<KvmDebugregs>());
        Assert.Equal(4, Unsafe.SizeOf<KvmMsrList>());
        Assert.Equal(520, Unsafe.SizeOf<KvmIrqchipState>());
        Assert.Equal(24, Unsafe.SizeOf<KvmPitChannelState>());
        Assert.Equal(112, Unsafe.SizeOf<KvmPitState2>());
        Assert.Equal(48, Unsafe.SizeOf<KvmClockData>());
        Assert.Equal(16, Unsafe.SizeOf<KvmDirtyLog>());
    }

    [Fact]
    public void The_structs_a_vcpu_state_keeps_have_the_kernel_headers_sizes()
    {
        Assert.Equal(144, Unsafe.SizeOf<KvmRegs>());
        Assert.Equal(312, Unsafe.SizeOf<KvmSregs>());
        Assert.Equal(416, Unsafe.SizeOf<KvmFpu>());
        Assert.Equal(1024, Unsafe.SizeOf<KvmLapicState>());
        Assert.Equal(64, Unsafe.SizeOf<KvmVcpuEvents>());
        Assert.Equal(40, Unsafe.SizeOf<KvmCpuidEntry2>());
        Assert.Equal(16, Unsafe.SizeOf<KvmMsrEntry>());
    }

    [Fact]
    public void The_irqchip_union_starts_after_the_chip_id_and_its_padding()
    {
        Assert.Equal(8, (int)Marshal.OffsetOf<KvmIrqchipState>(nameof(KvmIrqchipState.Chip)));
        Assert.Equal(KvmIrqchipState.ChipSize + 8, Unsafe.SizeOf<KvmIrqchipState>());
    }

    [Fact]
    public void The_snapshot_ioctls_have_the_kernel_headers_numbers()
    {
        Assert.Equal(0x9000AEA4u, KvmIoctl.GetXsave);
        Assert.Equal(0x5000AEA5u, KvmIoctl.SetXsave);
        Assert.Equal(0x9000AECFu, KvmIoctl.GetXsave2);
        Assert.Equal(0x8188AEA6u, KvmIoctl.GetXcrs);
        Assert.Equal(0x4188AEA7u, KvmIoctl.SetXcrs);
        Assert.Equal(0x8080AEA1u, KvmIoctl.GetDebugregs);
        Assert.Equal(0x4080AEA2u, KvmIoctl.SetDebugregs);
        Assert.Equal(0xC008AE91u, KvmIoctl.GetCpuid2);
        Assert.Equal(0xAEA3u, KvmIoctl.GetTscKhz);
        Assert.Equal(0xAEA2u, KvmIoctl.SetTscKhz);
        Assert.Equal(0xC004AE02u, KvmIoctl.GetMsrIndexList);
        Assert.Equal(0xC208AE62u, KvmIoctl.GetIrqchip);
        Assert.Equal(0x8208AE63u, KvmIoctl.SetIrqchip);
        Assert.Equal(0x8070AE9Fu, KvmIoctl.GetPit2);
        Assert.Equal(0x4070AEA0u, KvmIoctl.SetPit2);
        Assert.Equal(0x8030AE7Cu, KvmIoctl.GetClock);
        Assert.Equal(0x4030AE7Bu, KvmIoctl.SetClock);
        Assert.Equal(0x4010AE42u, KvmIoctl.GetDirtyLog);
    }

    [Fact]
    public void A_dirty_bitmap_gives_the_numbers_of_its_set_bits_in_order()
    {
        ulong[] bitmap = [0b1001, 0, 1UL << 63, 1];

        Assert.Equal([0UL, 3, 191, 192], DirtyPageLog.PagesOf(bitmap));
        Assert.Empty(DirtyPageLog.PagesOf(new ulong[3]));
    }
}
