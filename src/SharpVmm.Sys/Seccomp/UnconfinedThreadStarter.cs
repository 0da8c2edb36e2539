namespace SharpVmm.Sys;

/// <summary>
/// Starts threads from a thread of its own that never adds a filter of its own. A seccomp filter binds every thread its
/// thread creates, so a device thread started by a vCPU thread (a virtio device the guest activates on an exit) would
/// carry the vCPU's allow-list on top of its own; started from here, it carries only the one it installs itself (and the
/// whole process's, <see cref="SeccompPolicy.ConfineProcess"/>, which every thread has).
/// </summary>
public static class UnconfinedThreadStarter
{
    private static readonly object QueueLock = new();
    private static readonly Queue<(Thread Thread, ManualResetEventSlim Started)> Pending = new();
    private static Thread? _starter;

    /// <summary>Starts <paramref name="thread"/> and returns once it has started. Where seccomp is off it is started
    /// on the calling thread.</summary>
    public static void Start(Thread thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        if (SeccompPolicy.Mode == SeccompMode.Off)
        {
            thread.Start();
            return;
        }

        // Not disposed: the starter may still be inside Set when this thread's Wait returns.
        var started = new ManualResetEventSlim();
        lock (QueueLock)
        {
            if (_starter is null)
            {
                // The first request may come from a confined thread; the starter then carries that filter, so it is
                // made by the first SeccompPolicy.Configure caller instead (see Prepare).
                throw new InvalidOperationException("UnconfinedThreadStarter.Prepare was not called before seccomp was configured");
            }

            Pending.Enqueue((thread, started));
            Monitor.Pulse(QueueLock);
        }

        started.Wait();
    }

    /// <summary>Makes the starter thread, on the calling (unconfined) thread; <see cref="SeccompPolicy.Configure"/>
    /// calls it.</summary>
    internal static void Prepare()
    {
        lock (QueueLock)
        {
            if (_starter is not null)
            {
                return;
            }

            _starter = new Thread(Serve, 256 * 1024) { Name = "thread starter", IsBackground = true };
            _starter.Start();
        }
    }

    private static void Serve()
    {
        while (true)
        {
            (Thread Thread, ManualResetEventSlim Started) next;
            lock (QueueLock)
            {
                while (Pending.Count == 0)
                {
                    Monitor.Wait(QueueLock);
                }

                next = Pending.Dequeue();
            }

            next.Thread.Start();
            next.Started.Set();
        }
    }
}
