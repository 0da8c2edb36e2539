using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_regs</c>: the general-purpose registers, RIP and RFLAGS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmRegs
{
    /// <summary>RAX.</summary>
    public ulong Rax;
    /// <summary>RBX.</summary>
    public ulong Rbx;
    /// <summary>RCX.</summary>
    public ulong Rcx;
    /// <summary>RDX.</summary>
    public ulong Rdx;
    /// <summary>RSI.</summary>
    public ulong Rsi;
    /// <summary>RDI.</summary>
    public ulong Rdi;
    /// <summary>RSP, the stack pointer.</summary>
    public ulong Rsp;
    /// <summary>RBP.</summary>
    public ulong Rbp;
    /// <summary>R8.</summary>
    public ulong R8;
    /// <summary>R9.</summary>
    public ulong R9;
    /// <summary>R10.</summary>
    public ulong R10;
    /// <summary>R11.</summary>
    public ulong R11;
    /// <summary>R12.</summary>
    public ulong R12;
    /// <summary>R13.</summary>
    public ulong R13;
    /// <summary>R14.</summary>
    public ulong R14;
    /// <summary>R15.</summary>
    public ulong R15;
    /// <summary>RIP, the instruction pointer.</summary>
    public ulong Rip;
    /// <summary>RFLAGS.</summary>
    public ulong Rflags;
}
