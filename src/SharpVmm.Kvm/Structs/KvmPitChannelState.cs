using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_pit_channel_state</c>: one i8254 counter.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmPitChannelState
{
    /// <summary>The initial count (65536 for a written 0).</summary>
    public uint Count;
    /// <summary><c>latched_count</c>: the count a counter-latch command captured.</summary>
    public ushort LatchedCount;
    /// <summary><c>count_latched</c>: which bytes of <see cref="LatchedCount"/> are still to be read.</summary>
    public byte CountLatched;
    /// <summary><c>status_latched</c>: nonzero while a read-back command's status byte waits to be read.</summary>
    public byte StatusLatched;
    /// <summary><c>status</c>: the latched status byte.</summary>
    public byte Status;
    /// <summary><c>read_state</c>: which byte of the count the next read returns.</summary>
    public byte ReadState;
    /// <summary><c>write_state</c>: which byte of the count the next write sets.</summary>
    public byte WriteState;
    /// <summary><c>write_latch</c>: the low byte written so far of a two-byte count.</summary>
    public byte WriteLatch;
    /// <summary><c>rw_mode</c>: the access mode, low byte, high byte or both.</summary>
    public byte RwMode;
    /// <summary><c>mode</c>: the counting mode, 0 to 5.</summary>
    public byte Mode;
    /// <summary><c>bcd</c>: nonzero when the counter counts in BCD.</summary>
    public byte Bcd;
    /// <summary><c>gate</c>: the level of the counter's gate input.</summary>
    public byte Gate;
    /// <summary>When the count was loaded, in host ktime nanoseconds (KVM_SET_PIT2 reloads the count anew).</summary>
    public long CountLoadTime;
}
