using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_pit_state2</c> for <c>KVM_GET_PIT2</c>/<c>KVM_SET_PIT2</c> (<c>KVM_CAP_PIT_STATE2</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmPitState2
{
    /// <summary>The three counters.</summary>
    public KvmPitChannelArray Channels;
    /// <summary><c>KVM_PIT_FLAGS_HPET_LEGACY</c> (1), <c>KVM_PIT_FLAGS_SPEAKER_DATA_ON</c> (2).</summary>
    public uint Flags;
    private fixed uint _reserved[9];
}
