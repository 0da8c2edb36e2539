using System.Text;

namespace SharpVmm.Configuration;

/// <summary>The checks of <see cref="VsockConfig"/>, for <see cref="VmConfigValidator"/>.</summary>
internal static class VsockConfigValidator
{
    /// <summary>Throws a <see cref="VmConfigurationException"/> naming the first wrong field; with
    /// <paramref name="checkHostResources"/> also that uds_path's directory exists.</summary>
    public static void Validate(VsockConfig? vsock, bool checkHostResources)
    {
        if (vsock is null)
        {
            return;
        }

        if (vsock.GuestCid < 3 || vsock.GuestCid == uint.MaxValue)
        {
            throw new VmConfigurationException("vsock.guest_cid", $"{vsock.GuestCid} is reserved: a guest CID is 3 to {uint.MaxValue - 1}");
        }

        string path = vsock.UdsPath ?? "";
        if (path.Length == 0)
        {
            throw new VmConfigurationException("vsock.uds_path", "must name the Unix socket to listen on");
        }

        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > VsockConfig.MaxUdsPathBytes || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new VmConfigurationException("vsock.uds_path",
                $"is {bytes} bytes; a Unix socket path holds at most {VsockConfig.MaxUdsPathBytes} (sun_path), without NUL");
        }

        if (checkHostResources)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
            if (!Directory.Exists(directory))
            {
                throw new VmConfigurationException("vsock.uds_path", $"its directory {directory} does not exist");
            }
        }
    }
}
