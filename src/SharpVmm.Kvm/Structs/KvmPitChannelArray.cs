using System.Runtime.CompilerServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The three counters of <see cref="KvmPitState2.Channels"/>.</summary>
[InlineArray(3)]
public struct KvmPitChannelArray
{
    private KvmPitChannelState _element;
}
