using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_sregs</c>: segment, descriptor-table and control registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmSregs
{
#pragma warning disable CS1591 // architectural register names
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss;
    public KvmSegment Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8;
    public ulong Efer;
    public ulong ApicBase;
#pragma warning restore CS1591
    /// <summary>Pending external interrupts, one bit per vector.</summary>
    public fixed ulong InterruptBitmap[4];
}
