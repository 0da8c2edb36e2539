namespace SharpVmm.Devices.Virtio.Net;

/// <summary>
/// The <c>&lt;linux/if_tun.h&gt;</c> numbers <see cref="TapDevice"/> needs: its ioctl requests (issued through
/// <see cref="SharpVmm.Sys.Libc"/>) and the interface flags of <see cref="InterfaceRequest"/>.
/// </summary>
internal static class IfTun
{
    // _IOW('T', nr, int/unsigned int).
    public const uint TUNSETIFF = 0x400454CA;
    public const uint TUNSETOFFLOAD = 0x400454D0;
    public const uint TUNSETVNETHDRSZ = 0x400454D8;

    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;
}
