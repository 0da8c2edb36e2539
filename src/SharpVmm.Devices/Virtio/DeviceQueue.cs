namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A <see cref="VirtQueue"/> as a device's worker uses it: drains chains through a handler, sends used buffer
/// notifications the driver asked for, and reports a broken ring once with <see cref="IVirtioInterrupt.SetNeedsReset"/>.
/// </summary>
internal sealed class DeviceQueue
{
    private readonly IVirtioInterrupt _interrupt;
    private bool _resetRequested;

    public DeviceQueue(VirtQueue queue, int index, IVirtioInterrupt interrupt)
    {
        Queue = queue;
        Index = index;
        _interrupt = interrupt;
    }

    public VirtQueue Queue { get; }

    /// <summary>Queue <paramref name="index"/> of an activation, or null when the driver did not enable it.</summary>
    public static DeviceQueue? CreateIfReady(VirtioActivation activation, int index) =>
        index < activation.Queues.Count && activation.Queues[index].Ready
            ? new DeviceQueue(activation.CreateQueue(index), index, activation.Interrupt)
            : null;

    public int Index { get; }

    /// <summary>
    /// Pops chains while <paramref name="canHandle"/> says yes, hands each to <paramref name="handle"/> (which returns
    /// the used length), and loops until the ring is empty with notifications re-enabled.
    /// </summary>
    public void Drain(Func<DescriptorChain, uint> handle, Func<bool> canHandle) => Drain(handle, canHandle, null);

    /// <summary>
    /// <see cref="Drain(Func{DescriptorChain, uint}, Func{bool})"/>, asking <paramref name="admit"/> (when given) about
    /// each chain first: a chain it refuses is put back (<see cref="VirtQueue.UndoPop"/>) and the drain stops there,
    /// with notifications left off; whoever refused arranges to drain again (a rate limiter's retry).
    /// </summary>
    public void Drain(Func<DescriptorChain, uint> handle, Func<bool> canHandle, Func<DescriptorChain, bool>? admit)
    {
        do
        {
            Queue.DisableNotifications();
            while (canHandle() && Queue.TryPop(out DescriptorChain chain))
            {
                if (admit is not null && !admit(chain))
                {
                    Queue.UndoPop();
                    return;
                }

                uint used = handle(chain);
                Queue.AddUsed(chain, used);
                NotifyIfNeeded();
            }
        }
        while (canHandle() && Queue.EnableNotifications());

        Queue.EnableNotifications();
        ReportIfBroken();
    }

    /// <summary>After used buffers were added: a used buffer notification, if the driver wants one (2.7.7).</summary>
    public void NotifyIfNeeded()
    {
        if (Queue.NeedsNotification())
        {
            _interrupt.SignalUsedBuffers(Index);
        }
    }

    /// <summary>Tells the driver once that the queue is broken (DEVICE_NEEDS_RESET, 2.1.1).</summary>
    public void ReportIfBroken()
    {
        if (Queue.IsBroken && !_resetRequested)
        {
            _resetRequested = true;
            _interrupt.SetNeedsReset();
        }
    }
}
