using SharpVmm.Devices.Bus;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm.HostileGuest;

[Tier(TestTiers.KvmFast)]
public class StuckVcpuDisposeTests
{
    [Fact]
    public void Dispose_with_a_vcpu_stuck_in_a_device_releases_the_devices_and_says_it_kept_the_memory()
    {
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var stuck = new BlockingDevice(entered, release);
        var owned = new DisposalFlag();
        var vm = TestVm.Create(b => b.AddIoDevice(0x600, 1, stuck));
        vm.Devices.Owns(owned);
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, 0x600);
            a.@out(dx, al);
            a.hlt();
        }));
        vm.Start();
        Assert.True(entered.Wait(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));

        vm.Dispose(); // waits the 10 s join timeout

        Assert.True(vm.RetainedAfterDispose);
        Assert.True(owned.Disposed);
        release.Set(); // the stuck thread finds its memory still mapped and ends
    }

    private sealed class BlockingDevice(ManualResetEventSlim entered, ManualResetEventSlim release) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            entered.Set();
            release.Wait();
        }
    }

    private sealed class DisposalFlag : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
