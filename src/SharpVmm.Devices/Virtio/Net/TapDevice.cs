using System.Runtime.InteropServices;
using System.Text;

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

    private readonly LinuxFileHandle _tap;
    private readonly LinuxFileHandle _wake;
    private readonly PollDescriptor[] _pollSet = new PollDescriptor[2];

    private TapDevice(LinuxFileHandle tap, LinuxFileHandle wake, string name)
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

        int fd = TapInterop.Open(Encoding.UTF8.GetBytes(TunPath + "\0"), TapInterop.O_RDWR | TapInterop.O_NONBLOCK | TapInterop.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                TapInterop.ENOENT or TapInterop.ENODEV or TapInterop.ENXIO => new TapException($"{TunPath} is missing: load the tun module (modprobe tun)", errno),
                TapInterop.EACCES or TapInterop.EPERM => new TapException($"no permission to open {TunPath}: run as root or grant CAP_NET_ADMIN", errno),
                _ => new TapException($"open {TunPath} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno),
            };
        }

        var tap = new LinuxFileHandle(fd);
        try
        {
            var request = default(InterfaceRequest);
            nameBytes.CopyTo(request.Name);
            request.Flags = TapInterop.IFF_TAP | TapInterop.IFF_NO_PI | TapInterop.IFF_VNET_HDR;
            if (TapInterop.Ioctl(fd, TapInterop.TUNSETIFF, ref request) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno switch
                {
                    TapInterop.EBUSY => new TapException($"tap '{name}' is busy: another process has it open", errno),
                    TapInterop.EPERM or TapInterop.EACCES => new TapException($"no permission to attach tap '{name}': run as root, grant CAP_NET_ADMIN, or create it persistent for this user (ip tuntap add {name} mode tap user ...)", errno),
                    TapInterop.EINVAL => new TapException($"'{name}' exists but is a tun (not tap) device, or multi-queue", errno),
                    _ => new TapException($"TUNSETIFF '{name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno),
                };
            }

            int headerSize = VirtioNetHeader.Size;
            if (TapInterop.Ioctl(fd, TapInterop.TUNSETVNETHDRSZ, ref headerSize) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new TapException($"TUNSETVNETHDRSZ {VirtioNetHeader.Size} on '{name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
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
        if (TapInterop.Ioctl(_tap.Fd, TapInterop.TUNSETOFFLOAD, (nuint)(uint)offloads) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TapException($"TUNSETOFFLOAD {offloads} on '{Name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <inheritdoc />
    /// <exception cref="TapException">The read failed for a reason other than "nothing ready".</exception>
    public int Read(Span<byte> buffer)
    {
        while (true)
        {
            nint read = TapInterop.Read(_tap.Fd, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length);
            if (read >= 0)
            {
                return (int)read;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == TapInterop.EAGAIN)
            {
                return 0;
            }

            if (errno != TapInterop.EINTR)
            {
                throw new TapException($"read from tap '{Name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
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
            nint written = TapInterop.Write(_tap.Fd, ref MemoryMarshal.GetReference(frame), (nuint)frame.Length);
            if (written >= 0)
            {
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno is TapInterop.EAGAIN or TapInterop.EINVAL)
            {
                return false;
            }

            if (errno != TapInterop.EINTR)
            {
                throw new TapException($"write to tap '{Name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
    }

    /// <inheritdoc />
    public bool WaitReadable(int timeoutMs)
    {
        _pollSet[0] = new PollDescriptor { Fd = _tap.Fd, Events = TapInterop.POLLIN };
        _pollSet[1] = new PollDescriptor { Fd = _wake.Fd, Events = TapInterop.POLLIN };
        int ready = TapInterop.Poll(_pollSet, 2, timeoutMs);
        if (ready <= 0)
        {
            return false; // timeout, or EINTR: the caller loops and checks its stop flag
        }

        if ((_pollSet[1].Revents & TapInterop.POLLIN) != 0)
        {
            Span<byte> counter = stackalloc byte[8];
            TapInterop.Read(_wake.Fd, ref counter[0], 8);
            return false;
        }

        return (_pollSet[0].Revents & TapInterop.POLLIN) != 0;
    }

    /// <inheritdoc />
    public void Wake()
    {
        Span<byte> one = stackalloc byte[8];
        one[0] = 1;
        TapInterop.Write(_wake.Fd, ref one[0], 8);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tap.Dispose();
        _wake.Dispose();
    }

    private static LinuxFileHandle CreateWakeEventFd()
    {
        int fd = TapInterop.EventFd(0, TapInterop.EFD_CLOEXEC | TapInterop.EFD_NONBLOCK);
        return fd >= 0 ? new LinuxFileHandle(fd) : throw new TapException("eventfd for the tap reader failed", Marshal.GetLastPInvokeError());
    }
}
