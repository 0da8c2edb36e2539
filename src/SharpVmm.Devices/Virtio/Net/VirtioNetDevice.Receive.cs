using System.Buffers.Binary;

namespace SharpVmm.Devices.Virtio.Net;

// The receive path (virtio 1.2, 5.1.6.3 and 5.1.6.4): back-end frames into the guest's receive buffers, with
// mergeable buffers when negotiated.
public sealed partial class VirtioNetDevice
{
    // Delivers back-end frames while the guest has receive buffers; returns (to sleep until Notify(0)) when it has none.
    private void ServiceReceive()
    {
        if (_rx is not { } rx)
        {
            return;
        }

        while (!_rxWorker.ShouldYield && !rx.Queue.IsBroken)
        {
            if (_pending == 0)
            {
                _pending = _backend.Read(_rxFrame);
                if (_pending == 0)
                {
                    _backend.WaitReadable(-1);
                    continue;
                }

                if (_pending < VirtioNetHeader.Size)
                {
                    // a back-end frame without a whole virtio-net header (a TAP never sends one): nothing to deliver
                    Interlocked.Increment(ref _rxDropped);
                    _pending = 0;
                    continue;
                }
            }

            if (!_pendingPaid)
            {
                if (!RxRateLimiter.TryConsume(_pending - VirtioNetHeader.Size, 1, out TimeSpan retryAfter))
                {
                    _rxWorker.RetryAfter(retryAfter); // the frame waits here, the ones after it in the back-end
                    break;
                }

                _pendingPaid = true;
            }

            if (!Gather(rx, _mergeable ? _pending : 1))
            {
                break; // not enough buffers: leave the back-end alone until the guest posts more
            }

            if (!_guestCsum)
            {
                // 5.1.6.4.1: without GUEST_CSUM flags are zero and gso_type NONE (the back-end has no offloads on).
                _rxFrame.AsSpan(0, VirtioNetHeader.NumBuffersOffset).Clear();
            }

            Deliver(rx.Queue, _gathered, _rxFrame.AsSpan(0, _pending));
            _gathered.Clear();
            _pending = 0;
            _pendingPaid = false;
            rx.NotifyIfNeeded();
        }

        rx.ReportIfBroken();
    }

    private bool TryTakeReceiveBuffer(DeviceQueue rx, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DescriptorChain? chain)
    {
        VirtQueue queue = rx.Queue;
        while (true)
        {
            queue.DisableNotifications();
            if (queue.TryPop(out DescriptorChain popped))
            {
                if (popped.WritableLength >= VirtioNetHeader.Size)
                {
                    chain = popped;
                    return true;
                }

                Interlocked.Increment(ref _malformedChains); // nothing to write into: hand it back empty
                queue.AddUsed(popped, 0);
                rx.NotifyIfNeeded();
                continue;
            }

            if (queue.IsBroken || !queue.EnableNotifications())
            {
                chain = null;
                return false;
            }
        }
    }

    // Adds receive chains to gathered (kept across waits) until they hold needed bytes; false if the ring ran dry.
    private bool Gather(DeviceQueue rx, int needed)
    {
        long room = 0;
        foreach (DescriptorChain gathered in _gathered)
        {
            room += gathered.WritableLength;
        }

        while (room < needed && _gathered.Count < rx.Queue.Size)
        {
            if (!TryTakeReceiveBuffer(rx, out DescriptorChain? chain))
            {
                return false;
            }

            _gathered.Add(chain);
            room += chain.WritableLength;
        }

        return true;
    }

    private void Deliver(VirtQueue queue, List<DescriptorChain> chains, Span<byte> frame)
    {
        long room = chains.Sum(c => (long)c.WritableLength);
        if (frame.Length > room)
        {
            // The frame does not fit: without MRG_RXBUF the guest posted a short buffer; with it, the whole ring is
            // too small. Hand the buffers back empty.
            Interlocked.Increment(ref _rxDropped);
            foreach (DescriptorChain chain in chains)
            {
                queue.AddUsed(chain, 0);
            }

            return;
        }

        // 5.1.6.4: num_buffers is the number of chains the frame spans (1 without MRG_RXBUF).
        BinaryPrimitives.WriteUInt16LittleEndian(frame[VirtioNetHeader.NumBuffersOffset..], (ushort)chains.Count);
        int offset = 0;
        foreach (DescriptorChain chain in chains)
        {
            var writer = chain.CreateWriter();
            offset += writer.Write(frame[offset..]);
            queue.AddUsed(chain, writer.BytesWritten);
        }

        Interlocked.Increment(ref _rxFrames);
        Interlocked.Add(ref _rxBytes, frame.Length - VirtioNetHeader.Size);
    }
}
