using SharpVmm.Sys;

namespace SharpVmm.Devices.Virtio.Entropy;

/// <summary>The host kernel's random pool through getrandom(2) (blocking only until the pool is first initialised).</summary>
public sealed class HostEntropySource : IEntropySource
{
    /// <inheritdoc />
    public void Fill(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            nint n = Libc.GetRandom(destination, 0);
            if (n < 0)
            {
                int errno = Errno.Last();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                throw new IOException($"getrandom failed: {Errno.Message(errno)}");
            }

            destination = destination[(int)n..];
        }
    }
}
