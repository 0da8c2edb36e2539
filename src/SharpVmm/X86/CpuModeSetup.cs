using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;

namespace SharpVmm.X86;

/// <summary>Puts a vCPU into real, 32-bit protected or 64-bit long mode at CPL0, ready to run raw code.</summary>
public static class CpuModeSetup
{
    private const ulong Cr0Pe = 1UL << 0, Cr0Et = 1UL << 4, Cr0Ne = 1UL << 5, Cr0Pg = 1UL << 31;
    private const ulong Cr4Pae = 1UL << 5;
    private const ulong EferLme = 1UL << 8, EferLma = 1UL << 10;
    private const ulong PtePresent = 1, PteWritable = 2, PtePageSize = 1UL << 7;

    // The Linux boot protocol's selectors (__BOOT_CS = 0x10, __BOOT_DS = 0x18, boot.rst "32-bit/64-bit boot protocol"):
    // every mode uses them, so one GDT layout serves raw guests and kernels alike. Entry 1 stays null.
    private const ushort DataSelector = 0x18, TssSelector = 0x20;

    /// <summary>The code segment selector every mode's GDT loads (Linux's <c>__BOOT_CS</c>); guests' own IDT gates use it.</summary>
    public const ushort CodeSelector = 0x10;

    /// <summary>Real mode at <paramref name="segment"/>:<paramref name="offset"/>; every segment register gets <paramref name="segment"/>.</summary>
    public static void EnterRealMode(KvmVcpu vcpu, ushort segment, ushort offset)
    {
        KvmSregs sregs = vcpu.GetSregs();
        foreach (ref KvmSegment seg in SegmentsOf(ref sregs))
        {
            seg.Selector = segment;
            seg.Base = (ulong)segment << 4;
            seg.Limit = 0xFFFF;
        }

        sregs.Cr0 &= ~(Cr0Pe | Cr0Pg);
        vcpu.SetSregs(sregs);
        vcpu.SetRegs(new KvmRegs { Rip = offset, Rflags = 2 });
    }

    /// <summary>32-bit flat protected mode, paging off, at <paramref name="entry"/>.</summary>
    public static void EnterProtectedMode(KvmVcpu vcpu, GuestMemory memory, uint entry, CpuModeLayout? layout = null)
    {
        layout ??= new CpuModeLayout();
        KvmSregs sregs = vcpu.GetSregs();
        LoadFlatSegments(ref sregs, memory, layout, GdtEntry.Flags32);
        sregs.Cr0 = (sregs.Cr0 | Cr0Pe | Cr0Et) & ~Cr0Pg;
        sregs.Cr4 &= ~Cr4Pae;
        sregs.Efer &= ~(EferLme | EferLma);
        vcpu.SetSregs(sregs);
        vcpu.SetRegs(new KvmRegs { Rip = entry, Rflags = 2 });
    }

    /// <summary>64-bit long mode with the first 4 GiB identity-mapped, at <paramref name="entry"/>.</summary>
    public static void EnterLongMode(KvmVcpu vcpu, GuestMemory memory, ulong entry, CpuModeLayout? layout = null)
    {
        layout ??= new CpuModeLayout();
        WriteIdentityPageTables(memory, layout.PageTables);

        KvmSregs sregs = vcpu.GetSregs();
        LoadFlatSegments(ref sregs, memory, layout, GdtEntry.Flags64);
        sregs.Cr3 = layout.PageTables.Value;
        sregs.Cr4 |= Cr4Pae;
        sregs.Cr0 |= Cr0Pe | Cr0Et | Cr0Ne | Cr0Pg;
        sregs.Efer |= EferLme | EferLma;
        vcpu.SetSregs(sregs);
        vcpu.SetRegs(new KvmRegs { Rip = entry, Rflags = 2 });
    }

    /// <summary>Writes PML4 → PDPT → 4 page directories of 2 MiB pages mapping [0, 4 GiB) onto itself.</summary>
    public static void WriteIdentityPageTables(GuestMemory memory, GuestAddress at)
    {
        if (at.Value % 4096 != 0)
        {
            throw new ArgumentException($"page tables must be 4 KiB aligned, not at {at}", nameof(at));
        }

        Span<byte> tables = memory.GetSpan(at, CpuModeLayout.PageTableBytes);
        tables.Clear();
        ulong pml4 = at.Value, pdpt = pml4 + 0x1000, pd = pml4 + 0x2000;
        memory.Write(new GuestAddress(pml4), pdpt | PtePresent | PteWritable);
        for (ulong i = 0; i < 4; i++)
        {
            memory.Write(new GuestAddress(pdpt + (i * 8)), (pd + (i * 0x1000)) | PtePresent | PteWritable);
        }

        for (ulong i = 0; i < 4 * 512; i++)
        {
            memory.Write(new GuestAddress(pd + (i * 8)), (i << 21) | PtePresent | PteWritable | PtePageSize);
        }
    }

    private static void LoadFlatSegments(ref KvmSregs sregs, GuestMemory memory, CpuModeLayout layout, byte codeFlags)
    {
        ulong code = GdtEntry.Encode(0, 0xFFFFF, GdtEntry.CodeAccess, codeFlags);
        ulong data = GdtEntry.Encode(0, 0xFFFFF, GdtEntry.DataAccess, GdtEntry.Flags32);
        ulong tss = GdtEntry.Encode(0, 0x67, GdtEntry.BusyTssAccess, 0);
        ReadOnlySpan<ulong> gdt = [0, 0, code, data, tss];
        for (int i = 0; i < gdt.Length; i++)
        {
            memory.Write(layout.Gdt.Add((ulong)i * 8), gdt[i]);
        }

        memory.Write(layout.Idt, 0UL);

        sregs.Gdt = new KvmDtable { Base = layout.Gdt.Value, Limit = (ushort)((gdt.Length * 8) - 1) };
        sregs.Idt = new KvmDtable { Base = layout.Idt.Value, Limit = 0 };
        sregs.Cs = GdtEntry.ToSegment(code, CodeSelector);
        KvmSegment dataSegment = GdtEntry.ToSegment(data, DataSelector);
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = dataSegment;
        sregs.Tr = GdtEntry.ToSegment(tss, TssSelector);
    }

    private static Span<KvmSegment> SegmentsOf(ref KvmSregs sregs) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref sregs.Cs, 6);
}
