using SharpVmm.Kvm;
using SharpVmm.Snapshot;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm.Snapshot;

[Tier(TestTiers.KvmFast)]
public class DirtyPageLogTests
{
    private const ulong Code = 0x100000;
    private const ulong Written = 0x20000;
    private const ulong Untouched = 0x21000;

    [Fact]
    public void A_page_the_guest_wrote_is_in_the_dirty_log_once_and_a_page_it_did_not_touch_never_is()
    {
        KvmTestEnvironment.RequireKvm();
        using VirtualMachine vm = TestVm.Create(b => b.WithDirtyPageTracking());
        MemorySlot slot = Assert.Single(vm.MemorySlots);
        Assert.True(slot.LogsDirtyPages);
        TestVm.Load(vm, CpuMode.Protected32, Code, GuestCode.Assemble(32, Code, a =>
        {
            a.mov(__dword_ptr[(uint)Written + 0x10], 0x1234_5678);
            a.hlt();
        }));
        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);
        var log = new DirtyPageLog(vm.Kvm, slot);

        IReadOnlyList<ulong> first = log.ReadDirtyPages();
        IReadOnlyList<ulong> second = log.ReadDirtyPages();

        Assert.Contains(Written / 4096, first);
        Assert.DoesNotContain(Untouched / 4096, first);
        // The code page is left out on purpose: KVM may log a page the guest only fetched from. Under nested KVM
        // with shadow paging (no NPT) it logged this one. The dirty log may over-report but never miss a write,
        // and that is all a snapshot needs.
        Assert.Empty(second);
        Assert.Equal(slot.Size / 4096, log.PageCount);
    }

    [Fact]
    public void A_vm_built_without_dirty_page_tracking_has_no_dirty_log_to_read()
    {
        KvmTestEnvironment.RequireKvm();
        using VirtualMachine vm = TestVm.Create();
        MemorySlot slot = Assert.Single(vm.MemorySlots);

        Assert.False(slot.LogsDirtyPages);
        var error = Assert.Throws<KvmException>(() => new DirtyPageLog(vm.Kvm, slot).ReadBitmap());
        Assert.Equal("KVM_GET_DIRTY_LOG", error.Operation);
    }
}
