namespace SharpVmm.Devices.Virtio.Net;

/// <summary>Opening or configuring a TAP device failed; the message says why and what to do, <see cref="Errno"/> is the cause.</summary>
public class TapException : IOException
{
    /// <summary>Creates an exception for <paramref name="errno"/> with <paramref name="message"/>.</summary>
    public TapException(string message, int errno) : base(message) => Errno = errno;

    /// <summary>Creates an exception with a message only.</summary>
    public TapException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public TapException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates an exception with no message.</summary>
    public TapException()
    {
    }

    /// <summary>The Linux error number (0 if none).</summary>
    public int Errno { get; }
}
