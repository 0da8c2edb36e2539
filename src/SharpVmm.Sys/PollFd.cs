using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary><c>struct pollfd</c> for poll(2) (<see cref="Libc.Poll(Span{PollFd}, int)"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PollFd
{
    /// <summary>poll(2) event: there is data to read.</summary>
    public const short PollIn = 0x1;

    /// <summary>The descriptor to watch.</summary>
    public int Fd;

    /// <summary>The events asked for (<see cref="PollIn"/>).</summary>
    public short Events;

    /// <summary>The events that happened, set by poll(2).</summary>
    public short Revents;

    /// <summary>Watches <paramref name="fd"/> for <see cref="PollIn"/>.</summary>
    public static PollFd ForReading(int fd) => new() { Fd = fd, Events = PollIn };

    /// <summary>Whether poll(2) reported <see cref="PollIn"/>.</summary>
    public readonly bool IsReadable => (Revents & PollIn) != 0;
}
