using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_pit_config</c> for <c>KVM_CREATE_PIT2</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmPitConfig
{
    /// <summary><c>KVM_PIT_SPEAKER_DUMMY</c> (1) or 0.</summary>
    public uint Flags;
    private fixed uint _pad[15];
}
