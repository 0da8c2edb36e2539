namespace SharpVmm.Kvm;

/// <summary>A KVM ioctl or related system call failed. <see cref="Operation"/> names it, <see cref="Errno"/> says why.</summary>
public class KvmException : Exception
{
    /// <summary>Creates an exception for <paramref name="operation"/> failing with <paramref name="errno"/>.</summary>
    public KvmException(string operation, int errno)
        : base($"{operation} failed: {Sys.Errno.Message(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>Creates an exception with a custom message.</summary>
    public KvmException(string operation, int errno, string message) : base(message)
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>The ioctl or system call that failed, e.g. <c>KVM_CREATE_VM</c>.</summary>
    public string Operation { get; }

    /// <summary>The Linux error number.</summary>
    public int Errno { get; }

    internal static KvmException FromLastError(string operation) => new(operation, Sys.Errno.Last());
}
