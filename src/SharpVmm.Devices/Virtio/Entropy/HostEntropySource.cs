using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio.Entropy;

/// <summary>The host kernel's random pool through getrandom(2) (blocking only until the pool is first initialised).</summary>
public sealed class HostEntropySource : IEntropySource
{
    private const int EINTR = 4;

    /// <inheritdoc />
    public void Fill(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            nint n = GetRandom(ref MemoryMarshal.GetReference(destination), (nuint)destination.Length, 0);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                throw new IOException($"getrandom failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            destination = destination[(int)n..];
        }
    }

    // ssize_t getrandom(void *buf, size_t buflen, unsigned int flags); a ref byte is blittable and pinned for the call.
    [DllImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint GetRandom(ref byte buffer, nuint length, uint flags);
}
