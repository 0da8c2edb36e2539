using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_segment</c>: a segment register with its hidden descriptor cache.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmSegment
{
    /// <summary>Linear base address.</summary>
    public ulong Base;
    /// <summary>Limit in bytes (already scaled by granularity).</summary>
    public uint Limit;
    /// <summary>The visible selector.</summary>
    public ushort Selector;
    /// <summary>Descriptor type field (4 bits).</summary>
    public byte Type;
    /// <summary>Present bit.</summary>
    public byte Present;
    /// <summary>Descriptor privilege level.</summary>
    public byte Dpl;
    /// <summary>Default operation size (1 = 32-bit).</summary>
    public byte Db;
    /// <summary>Code/data (1) or system (0) descriptor.</summary>
    public byte S;
    /// <summary>64-bit code segment.</summary>
    public byte L;
    /// <summary>Granularity (1 = 4 KiB units).</summary>
    public byte G;
    /// <summary>Available for software.</summary>
    public byte Avl;
    /// <summary>Segment is unusable (null selector in protected mode).</summary>
    public byte Unusable;
    private readonly byte _padding;
}
