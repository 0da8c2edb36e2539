namespace SharpVmm.Kvm;

/// <summary>The KVM device cannot be used at all: it is missing, not accessible, or speaks another API version.</summary>
public sealed class KvmUnavailableException : KvmException
{
    /// <summary>Creates the exception for <paramref name="devicePath"/>.</summary>
    public KvmUnavailableException(string devicePath, int errno, string message)
        : base("open", errno, message) => DevicePath = devicePath;

    /// <summary>The device path that was tried (normally <c>/dev/kvm</c>).</summary>
    public string DevicePath { get; }
}
