using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio.Net;

/// <summary><c>struct ifreq</c> (40 bytes on x86-64) as TUNSETIFF uses it: the name, then <c>ifr_flags</c> at the start
/// of the 24-byte union.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal struct InterfaceRequest
{
    public InterfaceName Name;
    public short Flags;
}
