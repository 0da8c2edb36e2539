using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_pit_channel_state</c>: one i8254 counter.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmPitChannelState
{
#pragma warning disable CS1591 // field names follow <asm/kvm.h>
    /// <summary>The initial count (65536 for a written 0).</summary>
    public uint Count;
    public ushort LatchedCount;
    public byte CountLatched, StatusLatched, Status, ReadState, WriteState, WriteLatch, RwMode, Mode, Bcd, Gate;
    /// <summary>When the count was loaded, in host ktime nanoseconds (KVM_SET_PIT2 reloads the count anew).</summary>
    public long CountLoadTime;
#pragma warning restore CS1591
}
