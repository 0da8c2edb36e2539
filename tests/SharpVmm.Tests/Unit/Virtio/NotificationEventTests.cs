using SharpVmm.Devices.Virtio;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class NotificationEventTests
{
    [Fact]
    public void Kicks_coalesce_into_one_wake_up_that_the_wait_consumes()
    {
        using var notification = new NotificationEvent();
        Assert.False(notification.Wait(0));
        Assert.False(notification.TryConsume());

        notification.Kick();
        notification.Kick();
        notification.Kick();

        Assert.True(notification.Wait(0));
        Assert.False(notification.Wait(0));
        Assert.False(notification.TryConsume());
    }

    [Fact]
    public void Wait_times_out_when_nobody_kicks()
    {
        using var notification = new NotificationEvent();
        long start = Environment.TickCount64;
        Assert.False(notification.Wait(30));
        Assert.True(Environment.TickCount64 - start >= 25);
    }

    [Fact]
    public void A_write_to_the_handle_as_kvm_does_wakes_a_waiting_thread()
    {
        using var notification = new NotificationEvent();
        bool woke = false;
        int waiterId = 0;
        using var started = new ManualResetEventSlim();
        var waiter = new Thread(() =>
        {
            waiterId = PollingThread.CurrentId();
            started.Set();
            woke = notification.Wait(10_000);
        });
        waiter.Start();
        started.Wait(TestContext.Current.CancellationToken);
        PollingThread.WaitUntilAsleepInPoll(waiterId);
        Assert.Equal(1, notification.IdleWaits);

        EventFdWriter.Signal(notification.Handle, 5);

        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)), "the waiter never woke");
        Assert.True(woke);
        Assert.False(notification.TryConsume()); // the whole count went with the one wake-up
    }

    [Fact]
    public void Only_a_wait_that_finds_no_kick_counts_as_an_idle_wait()
    {
        using var notification = new NotificationEvent();
        notification.Kick();
        Assert.True(notification.Wait(1000)); // a kick was pending: no sleep
        Assert.Equal(0, notification.IdleWaits);
        Assert.False(notification.Wait(0));   // a poll without waiting: no sleep either
        Assert.Equal(0, notification.IdleWaits);

        Assert.False(notification.Wait(1));
        Assert.Equal(1, notification.IdleWaits);
    }

    [Fact]
    public void TryConsume_clears_a_pending_kick_without_waiting()
    {
        using var notification = new NotificationEvent();
        notification.Kick();
        Assert.True(notification.TryConsume());
        Assert.False(notification.Wait(0));
    }

    [Fact]
    public void After_dispose_a_kick_is_ignored_and_a_wait_throws()
    {
        var notification = new NotificationEvent();
        notification.Dispose();

        notification.Kick();

        Assert.True(notification.Handle.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => notification.Wait(0));
    }
}
