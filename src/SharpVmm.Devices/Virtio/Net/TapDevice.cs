using System.Text;
using SharpVmm.Sys;

namespace SharpVmm.Devices.Virtio.Net;

/// <summary>
/// A Linux TAP interface opened through /dev/net/tun with <c>IFF_TAP | IFF_NO_PI | IFF_VNET_HDR</c> and a 12-byte
/// vnet header (<c>virtio_net_hdr_v1</c>), so frames carry the virtio-net header straight through. Non-blocking: a
/// reader thread waits with <see cref="WaitReadable"/>, and <see cref="Wake"/> (a private eventfd) releases it.
/// Needs CAP_NET_ADMIN unless the interface is a persistent tap owned by this user. Reads and
/// <see cref="WaitReadable"/> belong to one reader thread; writes may come from another.
/// </summary>
public sealed class TapDevice : INetworkBackend
{
    private const string TunPath = "/dev/net/tun";
    private const int MaxNameLength = InterfaceName.Size - 1;

    private readonly FileDescriptor _tap;
    private readonly EventFd _wake;

    private TapDevice(FileDescriptor tap, EventFd wake, string name)
    {
        _tap = tap;
        _wake = wake;
        Name = name;
    }

    /// <summary>The interface name the kernel gave (the requested one, or tapN for a pattern like "tap%d").</summary>
    public string Name { get; }

    /// <summary>
    /// Opens (creating if needed) the TAP interface <paramref name="name"/> in the calling thread's network namespace.
    /// </summary>
    /// <exception cref="TapException">/dev/net/tun is missing, the caller lacks permission, the name is busy or
    /// invalid, or the kernel refused the vnet header.</exception>
    public static TapDevice Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > MaxNameLength || nameBytes.Contains((byte)0) || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid interface name (at most {MaxNameLength} bytes, no NUL or '/')", nameof(name));
        }

        FileDescriptor? tap = FileDescriptor.TryOpen(TunPath, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (tap is null)
        {
            int errno = Errno.Last();
            throw errno switch
            {
                Errno.ENOENT or Errno.ENODEV or Errno.ENXIO => new TapException($"{TunPath} is missing: load the tun module (modprobe tun)", errno),
                Errno.EACCES or Errno.EPERM => new TapException($"no permission to open {TunPath}: run as root or grant CAP_NET_ADMIN", errno),
                _ => new TapException($"open {TunPath} failed: {Errno.Message(errno)}", errno),
            };
        }

        try
        {
            int fd = tap.Fd;
            var request = default(InterfaceRequest);
            nameBytes.CopyTo(request.Name);
            request.Flags = IfTun.IFF_TAP | IfTun.IFF_NO_PI | IfTun.IFF_VNET_HDR;
            if (Libc.Ioctl(fd, IfTun.TUNSETIFF, ref request) < 0)
            {
                int errno = Errno.Last();
                throw errno switch
                {
                    Errno.EBUSY => new TapException($"tap '{name}' is busy: another process has it open", errno),
                    Errno.EPERM or Errno.EACCES => new TapException($"no permission to attach tap '{name}': run as root, grant CAP_NET_ADMIN, or create it persistent for this user (ip tuntap add {name} mode tap user ...)", errno),
                    Errno.EINVAL => new TapException($"'{name}' exists but is a tun (not tap) device, or multi-queue", errno),
                    _ => new TapException($"TUNSETIFF '{name}' failed: {Errno.Message(errno)}", errno),
                };
            }

            int headerSize = VirtioNetHeader.Size;
            if (Libc.Ioctl(fd, IfTun.TUNSETVNETHDRSZ, ref headerSize) < 0)
            {
                int errno = Errno.Last();
                throw new TapException($"TUNSETVNETHDRSZ {VirtioNetHeader.Size} on '{name}' failed: {Errno.Message(errno)}", errno);
            }

            ReadOnlySpan<byte> given = request.Name;
            int end = given.IndexOf((byte)0);
            string actualName = Encoding.UTF8.GetString(end < 0 ? given : given[..end]);
            return new TapDevice(tap, CreateWakeEventFd(), actualName);
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="TapException">The kernel refused the offload set.</exception>
    public void SetOffloads(TapOffloads offloads)
    {
        if (Libc.Ioctl(_tap.Fd, IfTun.TUNSETOFFLOAD, (nint)(uint)offloads) < 0)
        {
            int errno = Errno.Last();
            throw new TapException($"TUNSETOFFLOAD {offloads} on '{Name}' failed: {Errno.Message(errno)}", errno);
        }
    }

    /// <inheritdoc />
    /// <exception cref="TapException">The read failed for a reason other than "nothing ready".</exception>
    public int Read(Span<byte> buffer)
    {
        while (true)
        {
            nint read = Libc.Read(_tap.Fd, buffer);
            if (read >= 0)
            {
                return (int)read;
            }

            int errno = Errno.Last();
            if (errno == Errno.EAGAIN)
            {
                return 0;
            }

            if (errno != Errno.EINTR)
            {
                throw new TapException($"read from tap '{Name}' failed: {Errno.Message(errno)}", errno);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="TapException">The write failed for a reason other than a full queue or a frame the kernel
    /// rejects (EINVAL: a bad vnet header from the guest, counted as a drop by the caller).</exception>
    public bool Write(ReadOnlySpan<byte> frame)
    {
        while (true)
        {
            nint written = Libc.Write(_tap.Fd, frame);
            if (written >= 0)
            {
                return true;
            }

            int errno = Errno.Last();
            if (errno is Errno.EAGAIN or Errno.EINVAL)
            {
                return false;
            }

            if (errno != Errno.EINTR)
            {
                throw new TapException($"write to tap '{Name}' failed: {Errno.Message(errno)}", errno);
            }
        }
    }

    /// <inheritdoc />
    public bool WaitReadable(int timeoutMs)
    {
        Span<PollFd> pollSet = [PollFd.ForReading(_tap.Fd), PollFd.ForReading(_wake.Handle.Fd)];
        int ready = Libc.Poll(pollSet, timeoutMs);
        if (ready <= 0)
        {
            return false; // timeout, or EINTR: the caller loops and checks its stop flag
        }

        if (pollSet[1].IsReadable)
        {
            _wake.TryRead(out _);
            return false;
        }

        return pollSet[0].IsReadable;
    }

    /// <inheritdoc />
    public void Wake() => _wake.TrySignal();

    /// <inheritdoc />
    public void Dispose()
    {
        _tap.Dispose();
        _wake.Dispose();
    }

    private static EventFd CreateWakeEventFd()
    {
        try
        {
            return new EventFd();
        }
        catch (SystemCallException e)
        {
            throw new TapException("eventfd for the tap reader failed", e.Errno);
        }
    }
}
