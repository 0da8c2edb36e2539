using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_fpu</c>: x87 and SSE state.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmFpu
{
    /// <summary>The eight x87 registers, 16 bytes each.</summary>
    public fixed byte Fpr[128];
    /// <summary>x87 control word.</summary>
    public ushort Fcw;
    /// <summary>x87 status word.</summary>
    public ushort Fsw;
    /// <summary>Abridged x87 tag word.</summary>
    public byte Ftwx;
    private readonly byte _pad1;
    /// <summary>Last x87 opcode.</summary>
    public ushort LastOpcode;
    /// <summary>Last x87 instruction pointer.</summary>
    public ulong LastIp;
    /// <summary>Last x87 data pointer.</summary>
    public ulong LastDp;
    /// <summary>XMM0-XMM15, 16 bytes each.</summary>
    public fixed byte Xmm[256];
    /// <summary>SSE control and status register.</summary>
    public uint Mxcsr;
    private readonly uint _pad2;
}
