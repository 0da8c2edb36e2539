using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_mp_state</c> for <c>KVM_GET_MP_STATE</c> / <c>KVM_SET_MP_STATE</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMpState
{
    /// <summary><c>KVM_MP_STATE_RUNNABLE</c>: the vCPU runs.</summary>
    public const uint Runnable = 0;

    /// <summary><c>KVM_MP_STATE_UNINITIALIZED</c>: an application processor waiting for INIT (then SIPI).</summary>
    public const uint Uninitialized = 1;

    /// <summary>One of the <c>KVM_MP_STATE_*</c> values.</summary>
    public uint State;
}
