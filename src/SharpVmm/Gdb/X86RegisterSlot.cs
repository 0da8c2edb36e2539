namespace SharpVmm.Gdb;

/// <summary>
/// Where in an <see cref="X86RegisterFile"/> a gdb register lives (see <see cref="X86RegisterAccess"/> for how each is
/// read and written). The first 18 are in <c>struct kvm_regs</c>'s order, which indexes them; the eight x87 and the
/// sixteen XMM slots are consecutive, so <c>St0 + i</c> and <c>Xmm0 + i</c> work.
/// </summary>
internal enum X86RegisterSlot
{
    Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp,
    R8, R9, R10, R11, R12, R13, R14, R15,
    Rip, Rflags,
    Cs, Ss, Ds, Es, Fs, Gs,
    St0, St1, St2, St3, St4, St5, St6, St7,
    Fctrl, Fstat, Ftag, Fiseg, Fioff, Foseg, Fooff, Fop,
    Xmm0, Xmm1, Xmm2, Xmm3, Xmm4, Xmm5, Xmm6, Xmm7,
    Xmm8, Xmm9, Xmm10, Xmm11, Xmm12, Xmm13, Xmm14, Xmm15,
    Mxcsr,
    FsBase, GsBase,
    Cr0, Cr2, Cr3, Cr4, Cr8, Efer,
}
