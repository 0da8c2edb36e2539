using System.Runtime.CompilerServices;

namespace SharpVmm.Devices.Virtio.Net;

/// <summary>The 16-byte, NUL-terminated <c>ifr_name</c> of a <c>struct ifreq</c> (IFNAMSIZ).</summary>
[InlineArray(Size)]
internal struct InterfaceName
{
    /// <summary>IFNAMSIZ.</summary>
    public const int Size = 16;

    private byte _element0;
}
