using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_msi</c> for <c>KVM_SIGNAL_MSI</c> (api.rst 4.71).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmMsi
{
    /// <summary>Low 32 bits of the message address.</summary>
    public uint AddressLo;
    /// <summary>High 32 bits of the message address.</summary>
    public uint AddressHi;
    /// <summary>The message data.</summary>
    public uint Data;
    /// <summary>KVM_MSI_VALID_DEVID or 0.</summary>
    public uint Flags;
    /// <summary>Requester ID (only with KVM_MSI_VALID_DEVID).</summary>
    public uint Devid;
    private fixed byte _pad[12];
}
