using SharpVmm.Tests.Support;
using SharpVmm.Kvm;
using SharpVmm.Notification;
using SharpVmm.Sys;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class IoEventPollerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Each_signalled_eventfd_runs_its_own_callback_on_the_poller_thread()
    {
        using var first = new EventFd();
        using var second = new EventFd();
        using var firstSeen = new SemaphoreSlim(0);
        using var secondSeen = new SemaphoreSlim(0);
        string? threadName = null;
        using var poller = new IoEventPoller("test poller");
        poller.Register(first, () =>
        {
            threadName = Thread.CurrentThread.Name;
            firstSeen.Release();
        });
        poller.Start();
        poller.Register(second, () => secondSeen.Release()); // after Start, too

        first.Signal();
        Assert.True(firstSeen.Wait(Patience, TestContext.Current.CancellationToken));
        second.Signal();
        Assert.True(secondSeen.Wait(Patience, TestContext.Current.CancellationToken));
        first.Signal();
        Assert.True(firstSeen.Wait(Patience, TestContext.Current.CancellationToken));

        Assert.Equal("test poller", threadName);
        Assert.Equal(0, secondSeen.CurrentCount);
        Assert.False(first.TryRead(out _)); // the poller drained the counter
    }

    [Fact]
    public void Unregistered_eventfds_no_longer_call_back()
    {
        using var quiet = new EventFd();
        using var marker = new EventFd();
        int quietCalls = 0;
        using var markerSeen = new SemaphoreSlim(0);
        using var poller = new IoEventPoller();
        ulong token = poller.Register(quiet, () => Interlocked.Increment(ref quietCalls));
        poller.Register(marker, () => markerSeen.Release());
        poller.Start();

        Assert.True(poller.Unregister(token));
        Assert.False(poller.Unregister(token));
        quiet.Signal();
        marker.Signal();
        Assert.True(markerSeen.Wait(Patience, TestContext.Current.CancellationToken));

        Assert.Equal(0, Volatile.Read(ref quietCalls));
        Assert.True(quiet.TryRead(out ulong pending));
        Assert.Equal(1UL, pending);
    }

    [Fact]
    public void Stop_joins_the_thread_and_later_signals_are_not_dispatched()
    {
        using var fd = new EventFd();
        int calls = 0;
        var poller = new IoEventPoller();
        poller.Register(fd, () => Interlocked.Increment(ref calls));
        poller.Start();

        poller.Stop(); // joins the thread: nothing is left to dispatch the signal below
        fd.Signal();
        poller.Dispose();
        poller.Dispose();

        Assert.Equal(0, Volatile.Read(ref calls));
        Assert.Throws<ObjectDisposedException>(() => poller.Register(fd, () => { }));
    }

    [Fact]
    public void A_throwing_callback_is_counted_and_the_poller_keeps_going()
    {
        using var bad = new EventFd();
        using var good = new EventFd();
        using var goodSeen = new SemaphoreSlim(0);
        using var poller = new IoEventPoller();
        poller.Register(bad, () => throw new InvalidOperationException("boom"));
        poller.Register(good, () => goodSeen.Release());
        poller.Start();

        bad.Signal();
        SpinWait.SpinUntil(() => poller.CallbackFailures == 1, Patience);
        good.Signal();

        Assert.True(goodSeen.Wait(Patience, TestContext.Current.CancellationToken));
        Assert.Equal(1, poller.CallbackFailures);
        Assert.Equal("boom", poller.LastFailure?.Message);
    }

    [Fact]
    public void Disposing_a_poller_that_never_started_is_clean()
    {
        var poller = new IoEventPoller();
        poller.Dispose();
        Assert.Equal(0, poller.Dispatched);
    }
}
