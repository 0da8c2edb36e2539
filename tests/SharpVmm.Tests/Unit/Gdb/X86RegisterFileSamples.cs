using System.Runtime.InteropServices;
using SharpVmm.Gdb;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Tests.Unit.Gdb;

/// <summary>Register files for the gdb layout tests, and byte views of their parts (KvmFpu's arrays are fixed buffers).</summary>
internal static class X86RegisterFileSamples
{
    /// <summary>Where KvmFpu's Fpr and Xmm arrays start.</summary>
    public static readonly int FprOffset = (int)Marshal.OffsetOf<KvmFpu>(nameof(KvmFpu.Fpr));

    /// <inheritdoc cref="FprOffset"/>
    public static readonly int XmmOffset = (int)Marshal.OffsetOf<KvmFpu>(nameof(KvmFpu.Xmm));

    /// <summary>1.0 as an x87 80-bit extended value, little-endian.</summary>
    public static readonly byte[] One = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F];

    /// <summary>The bytes of <paramref name="fpu"/>, writable.</summary>
    public static Span<byte> Bytes(ref KvmFpu fpu) => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref fpu, 1));

    /// <summary>The bytes of a whole register file, to compare two.</summary>
    public static byte[] Bytes(X86RegisterFile file) => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref file, 1)).ToArray();

    /// <summary>
    /// A file with a distinct value in every field a layout maps (and zeros in the bytes it does not: x87 slot padding,
    /// segment attributes other than FS/GS base), with two x87 registers in use so ftag has something to say.
    /// </summary>
    public static X86RegisterFile Sample()
    {
        var file = new X86RegisterFile();
        ref KvmRegs r = ref file.Regs;
        (r.Rax, r.Rbx, r.Rcx, r.Rdx) = (0x1111_1111_0000_00A1, 0x2222_2222_0000_00B1, 0x3333_3333_0000_00C1, 0x4444_4444_0000_00D1);
        (r.Rsi, r.Rdi, r.Rsp, r.Rbp) = (0x5555_5555_0000_0051, 0x6666_6666_0000_00E1, 0x7777_7777_0000_0F00, 0x8888_8888_0000_0F80);
        (r.R8, r.R9, r.R10, r.R11) = (0x0808, 0x0909, 0x1010, 0x1111);
        (r.R12, r.R13, r.R14, r.R15) = (0x1212, 0x1313, 0x1414, 0x1515);
        (r.Rip, r.Rflags) = (0xFFFF_FFFF_8100_1234, 0x246);
        ref KvmSregs s = ref file.Sregs;
        (s.Cs.Selector, s.Ss.Selector, s.Ds.Selector, s.Es.Selector, s.Fs.Selector, s.Gs.Selector) = (0x10, 0x18, 0x20, 0x28, 0x30, 0x38);
        (s.Fs.Base, s.Gs.Base) = (0x7F00_0000_1000, 0xFFFF_8880_0000_2000);
        (s.Cr0, s.Cr2, s.Cr3, s.Cr4, s.Cr8, s.Efer) = (0x8005_0033, 0xDEAD_B000, 0x1_2345_6000, 0x3406F0, 0xF, 0xD01);
        ref KvmFpu f = ref file.Fpu;
        (f.Fcw, f.Fsw, f.Ftwx, f.LastOpcode) = (0x37F, 6 << 11, 0b1100_0000, 0x5DB);
        (f.LastIp, f.LastDp, f.Mxcsr) = (0x1122_3344_5566_7788, 0x99AA_BBCC_DDEE_FF00, 0x1F80);
        Span<byte> bytes = Bytes(ref f);
        for (int st = 0; st < 8; st++)
        {
            One.CopyTo(bytes[(FprOffset + (16 * st))..]);
            bytes[FprOffset + (16 * st)] = (byte)(st + 1);
        }

        for (int i = 0; i < 256; i++)
        {
            bytes[XmmOffset + i] = (byte)(i + 1);
        }

        return file;
    }
}
