using System.Runtime.InteropServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public sealed class PublishedRegisterMirrorTests : IDisposable
{
    private readonly nint _cells = Marshal.AllocHGlobal(2 * sizeof(int));

    public PublishedRegisterMirrorTests()
    {
        Marshal.WriteInt32(_cells, 0x1234);
        Marshal.WriteInt32(_cells + sizeof(int), 0x1234);
    }

    [Fact]
    public void A_copy_starts_as_the_registers_value_and_follows_each_publication_and_withdrawal()
    {
        var register = new PublishedRegister(5);
        register.Publish(0x60);

        register.MirrorTo(_cells);
        Assert.Equal(0x60, Marshal.ReadInt32(_cells));

        register.Publish(0x20);
        Assert.Equal(0x20, Marshal.ReadInt32(_cells));
        register.Withdraw();
        Assert.Equal(-1, Marshal.ReadInt32(_cells));
    }

    [Fact]
    public void After_mirroring_stops_the_cell_is_left_alone_while_other_copies_still_follow()
    {
        var register = new PublishedRegister(5);
        register.MirrorTo(_cells);
        register.MirrorTo(_cells + sizeof(int));
        Assert.Equal(-1, Marshal.ReadInt32(_cells)); // withdrawn from the start

        register.StopMirroring(_cells);
        register.Publish(0x61);

        Assert.Equal(-1, Marshal.ReadInt32(_cells));
        Assert.Equal(0x61, Marshal.ReadInt32(_cells + sizeof(int)));
    }

    [Fact]
    public void A_copy_begun_while_another_thread_publishes_ends_equal_to_the_last_value()
    {
        var register = new PublishedRegister(5);
        bool stop = false;
        byte last = 0;
        long publications = 0;
        var publisher = new Thread(() =>
        {
            for (int i = 0; !Volatile.Read(ref stop); i++)
            {
                last = (byte)i;
                register.Publish(last);
                Interlocked.Increment(ref publications);
            }
        });
        publisher.Start();

        // However late the publisher's thread starts on a busy host, the copies are begun and ended while it publishes.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; (round < 2000 || Interlocked.Read(ref publications) < 10_000) && clock.Elapsed < TimeSpan.FromSeconds(30); round++)
        {
            register.MirrorTo(_cells);
            register.StopMirroring(_cells);
        }

        Assert.True(Interlocked.Read(ref publications) >= 10_000, $"the publisher published {publications} times in 30 s");

        register.MirrorTo(_cells);
        Volatile.Write(ref stop, true);
        publisher.Join();

        Assert.Equal(last, Marshal.ReadInt32(_cells));
        Assert.True(register.TryRead(out byte value) && value == last);
    }

    public void Dispose() => Marshal.FreeHGlobal(_cells);
}
