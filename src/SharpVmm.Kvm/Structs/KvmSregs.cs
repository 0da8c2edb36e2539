using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_sregs</c>: segment, descriptor-table and control registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmSregs
{
    /// <summary>CS, the code segment.</summary>
    public KvmSegment Cs;
    /// <summary>DS.</summary>
    public KvmSegment Ds;
    /// <summary>ES.</summary>
    public KvmSegment Es;
    /// <summary>FS.</summary>
    public KvmSegment Fs;
    /// <summary>GS.</summary>
    public KvmSegment Gs;
    /// <summary>SS, the stack segment.</summary>
    public KvmSegment Ss;
    /// <summary>The task register.</summary>
    public KvmSegment Tr;
    /// <summary>The local descriptor table register.</summary>
    public KvmSegment Ldt;
    /// <summary>The global descriptor table register (GDTR).</summary>
    public KvmDtable Gdt;
    /// <summary>The interrupt descriptor table register (IDTR).</summary>
    public KvmDtable Idt;
    /// <summary>CR0: protected mode, paging, caches.</summary>
    public ulong Cr0;
    /// <summary>CR2: the address of the last page fault.</summary>
    public ulong Cr2;
    /// <summary>CR3: the page-table root.</summary>
    public ulong Cr3;
    /// <summary>CR4: PAE, PGE, OSFXSR and the other extensions.</summary>
    public ulong Cr4;
    /// <summary>CR8: the task priority.</summary>
    public ulong Cr8;
    /// <summary>The EFER MSR: long mode (LME, LMA), NX, SYSCALL.</summary>
    public ulong Efer;
    /// <summary>The IA32_APIC_BASE MSR.</summary>
    public ulong ApicBase;
    /// <summary>Pending external interrupts, one bit per vector.</summary>
    public fixed ulong InterruptBitmap[4];
}
