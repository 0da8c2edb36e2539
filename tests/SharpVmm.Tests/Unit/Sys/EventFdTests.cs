using SharpVmm.Tests.Support;
using SharpVmm.Sys;
using Xunit;

namespace SharpVmm.Tests.Unit.Sys;

[Tier(TestTiers.Unit)]
public class EventFdTests
{
    [Fact]
    public void Signals_add_up_and_a_read_clears_the_counter()
    {
        using var fd = new EventFd();
        Assert.False(fd.TryRead(out ulong empty));
        Assert.Equal(0UL, empty);

        fd.Signal();
        fd.Signal(4);

        Assert.True(fd.TryRead(out ulong value));
        Assert.Equal(5UL, value);
        Assert.False(fd.TryRead(out _));
    }

    [Fact]
    public void Wait_times_out_when_idle_and_returns_when_signalled_from_another_thread()
    {
        using var fd = new EventFd(initialValue: 0);
        Assert.False(fd.Wait(TimeSpan.FromMilliseconds(20)));

        int waiter = PollingThread.CurrentId();
        var signaller = new Thread(() =>
        {
            PollingThread.WaitUntilAsleepInPoll(waiter); // signal only once this thread sleeps in Wait
            fd.Signal(7);
        });
        signaller.Start();

        Assert.True(fd.Wait(TimeSpan.FromSeconds(10)));
        signaller.Join();
        Assert.True(fd.Wait(TimeSpan.Zero)); // waiting does not consume the counter
        Assert.True(fd.TryRead(out ulong value));
        Assert.Equal(7UL, value);
    }

    [Fact]
    public void Initial_value_is_readable_and_use_after_dispose_throws()
    {
        var fd = new EventFd(initialValue: 3);
        Assert.True(fd.IsNonBlocking);
        Assert.True(fd.TryRead(out ulong value));
        Assert.Equal(3UL, value);

        fd.Dispose();
        Assert.True(fd.Handle.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => fd.Signal());
    }

    [Fact]
    public void A_set_reports_the_tokens_of_signalled_eventfds_only()
    {
        using var a = new EventFd();
        using var b = new EventFd();
        using var c = new EventFd();
        using var set = new EventFdSet();
        set.Add(a, 10);
        set.Add(b, 20);
        set.Add(c, 30);
        Span<ulong> ready = stackalloc ulong[8];

        Assert.Equal(0, set.Wait(ready, 0));

        b.Signal();
        c.Signal();
        int count = set.Wait(ready, 1000);
        Assert.Equal([20UL, 30UL], ready[..count].ToArray().Order());

        Assert.True(b.TryRead(out _));
        set.Remove(c);
        Assert.Equal(0, set.Wait(ready, 0)); // b drained, c still signalled but no longer in the set

        Assert.Equal(Errno.EEXIST, Assert.Throws<SystemCallException>(() => set.Add(a, 11)).Errno);
    }
}
