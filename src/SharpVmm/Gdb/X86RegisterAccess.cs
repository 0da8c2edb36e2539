using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Gdb;

/// <summary>
/// Reads and writes one <see cref="X86RegisterSlot"/> of an <see cref="X86RegisterFile"/> as the little-endian bytes
/// gdb exchanges, however wide gdb's register is.
/// </summary>
/// <remarks>
/// <para>
/// Scalar slots are one number. Reading gives its low bytes (a 32-bit <c>eax</c> is the low half of RAX) or zero-extends
/// it (a 16-bit selector as gdb's 32-bit <c>cs</c>). Writing replaces the low bytes only and keeps the rest, so a
/// 32-bit write of <c>eax</c> leaves RAX's upper half as it was; bits the field cannot hold are dropped (a selector
/// keeps the low 16 bits of a 32-bit <c>cs</c>).
/// </para>
/// <para>
/// Scalars and their fields: the general registers, <c>rip</c>, <c>eflags</c> (RFLAGS), <c>cr0</c>-<c>cr8</c> and
/// <c>efer</c> from <see cref="KvmRegs"/> and <see cref="KvmSregs"/>; the segment registers are the selectors only
/// (base, limit and attributes stay as they are); <c>fs_base</c> and <c>gs_base</c> are FS's and GS's base.
/// <c>fctrl</c>, <c>fstat</c> and <c>fop</c> are FCW, FSW and the last opcode; <c>fioff</c>/<c>fiseg</c> are the low and
/// high halves of the 64-bit last instruction pointer KVM keeps, <c>fooff</c>/<c>foseg</c> those of the last data
/// pointer (gdb splits a 64-bit FXSAVE pointer the same way; for a 32-bit guest the high half is normally 0);
/// <c>ftag</c> is the full tag word made from KVM's abridged one (see <see cref="X87TagWord"/>).
/// </para>
/// <para>
/// Vector slots are bytes: <c>st0</c>-<c>st7</c> are the first 10 bytes of each 16-byte x87 slot, <c>xmm0</c>-<c>xmm15</c>
/// the 16-byte XMM slots.
/// </para>
/// </remarks>
internal static class X86RegisterAccess
{
    private const int StSlotSize = 16;
    private const int StSize = 10;
    private const int XmmSize = 16;
    private const int GeneralCount = (int)X86RegisterSlot.Rflags + 1;

    /// <summary>Where <see cref="KvmFpu.Fpr"/> starts in <see cref="KvmFpu"/> (it is the first field).</summary>
    internal const int FprOffset = 0;

    /// <summary>Where <see cref="KvmFpu.Xmm"/> starts in <see cref="KvmFpu"/>, as in <c>struct kvm_fpu</c>.</summary>
    internal const int XmmOffset = 152;

    /// <summary>Writes <paramref name="slot"/>'s value into <paramref name="value"/> (its length is gdb's register size).</summary>
    public static void Read(X86RegisterSlot slot, in X86RegisterFile file, Span<byte> value)
    {
        if (VectorRange(slot) is var (offset, size))
        {
            value.Clear();
            FpuBytes(in file.Fpu).Slice(offset, Math.Min(size, value.Length)).CopyTo(value);
            return;
        }

        Span<byte> scalar = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(scalar, ReadScalar(slot, in file));
        value.Clear();
        scalar[..Math.Min(scalar.Length, value.Length)].CopyTo(value);
    }

    /// <summary>Stores <paramref name="value"/> (gdb's register bytes) into <paramref name="slot"/>.</summary>
    public static void Write(X86RegisterSlot slot, ref X86RegisterFile file, ReadOnlySpan<byte> value)
    {
        if (VectorRange(slot) is var (offset, size))
        {
            value[..Math.Min(size, value.Length)].CopyTo(WritableFpuBytes(ref file.Fpu)[offset..]);
            return;
        }

        Span<byte> scalar = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(scalar, ReadScalar(slot, in file));
        value[..Math.Min(scalar.Length, value.Length)].CopyTo(scalar);
        WriteScalar(slot, ref file, BinaryPrimitives.ReadUInt64LittleEndian(scalar));
    }

    private static (int Offset, int Size)? VectorRange(X86RegisterSlot slot) => slot switch
    {
        >= X86RegisterSlot.St0 and <= X86RegisterSlot.St7 => (FprOffset + ((slot - X86RegisterSlot.St0) * StSlotSize), StSize),
        >= X86RegisterSlot.Xmm0 and <= X86RegisterSlot.Xmm15 => (XmmOffset + ((slot - X86RegisterSlot.Xmm0) * XmmSize), XmmSize),
        _ => null,
    };

    private static ulong ReadScalar(X86RegisterSlot slot, in X86RegisterFile file) => slot switch
    {
        <= X86RegisterSlot.Rflags => Gpr(in file.Regs, slot),
        X86RegisterSlot.Cs => file.Sregs.Cs.Selector,
        X86RegisterSlot.Ss => file.Sregs.Ss.Selector,
        X86RegisterSlot.Ds => file.Sregs.Ds.Selector,
        X86RegisterSlot.Es => file.Sregs.Es.Selector,
        X86RegisterSlot.Fs => file.Sregs.Fs.Selector,
        X86RegisterSlot.Gs => file.Sregs.Gs.Selector,
        X86RegisterSlot.Fctrl => file.Fpu.Fcw,
        X86RegisterSlot.Fstat => file.Fpu.Fsw,
        X86RegisterSlot.Ftag => X87TagWord.Expand(file.Fpu.Ftwx, file.Fpu.Fsw, FpuBytes(in file.Fpu).Slice(FprOffset, 8 * StSlotSize)),
        X86RegisterSlot.Fiseg => file.Fpu.LastIp >> 32,
        X86RegisterSlot.Fioff => (uint)file.Fpu.LastIp,
        X86RegisterSlot.Foseg => file.Fpu.LastDp >> 32,
        X86RegisterSlot.Fooff => (uint)file.Fpu.LastDp,
        X86RegisterSlot.Fop => file.Fpu.LastOpcode,
        X86RegisterSlot.Mxcsr => file.Fpu.Mxcsr,
        X86RegisterSlot.FsBase => file.Sregs.Fs.Base,
        X86RegisterSlot.GsBase => file.Sregs.Gs.Base,
        X86RegisterSlot.Cr0 => file.Sregs.Cr0,
        X86RegisterSlot.Cr2 => file.Sregs.Cr2,
        X86RegisterSlot.Cr3 => file.Sregs.Cr3,
        X86RegisterSlot.Cr4 => file.Sregs.Cr4,
        X86RegisterSlot.Cr8 => file.Sregs.Cr8,
        X86RegisterSlot.Efer => file.Sregs.Efer,
        _ => throw new ArgumentOutOfRangeException(nameof(slot), slot, "not a scalar register"),
    };

    private static void WriteScalar(X86RegisterSlot slot, ref X86RegisterFile file, ulong value)
    {
        switch (slot)
        {
            case <= X86RegisterSlot.Rflags: WritableGpr(ref file.Regs, slot) = value; break;
            case X86RegisterSlot.Cs: file.Sregs.Cs.Selector = (ushort)value; break;
            case X86RegisterSlot.Ss: file.Sregs.Ss.Selector = (ushort)value; break;
            case X86RegisterSlot.Ds: file.Sregs.Ds.Selector = (ushort)value; break;
            case X86RegisterSlot.Es: file.Sregs.Es.Selector = (ushort)value; break;
            case X86RegisterSlot.Fs: file.Sregs.Fs.Selector = (ushort)value; break;
            case X86RegisterSlot.Gs: file.Sregs.Gs.Selector = (ushort)value; break;
            case X86RegisterSlot.Fctrl: file.Fpu.Fcw = (ushort)value; break;
            case X86RegisterSlot.Fstat: file.Fpu.Fsw = (ushort)value; break;
            case X86RegisterSlot.Ftag: file.Fpu.Ftwx = X87TagWord.Compress((ushort)value); break;
            case X86RegisterSlot.Fiseg: file.Fpu.LastIp = (uint)file.Fpu.LastIp | (value << 32); break;
            case X86RegisterSlot.Fioff: file.Fpu.LastIp = (file.Fpu.LastIp & ~0xFFFF_FFFFUL) | (uint)value; break;
            case X86RegisterSlot.Foseg: file.Fpu.LastDp = (uint)file.Fpu.LastDp | (value << 32); break;
            case X86RegisterSlot.Fooff: file.Fpu.LastDp = (file.Fpu.LastDp & ~0xFFFF_FFFFUL) | (uint)value; break;
            case X86RegisterSlot.Fop: file.Fpu.LastOpcode = (ushort)value; break;
            case X86RegisterSlot.Mxcsr: file.Fpu.Mxcsr = (uint)value; break;
            case X86RegisterSlot.FsBase: file.Sregs.Fs.Base = value; break;
            case X86RegisterSlot.GsBase: file.Sregs.Gs.Base = value; break;
            case X86RegisterSlot.Cr0: file.Sregs.Cr0 = value; break;
            case X86RegisterSlot.Cr2: file.Sregs.Cr2 = value; break;
            case X86RegisterSlot.Cr3: file.Sregs.Cr3 = value; break;
            case X86RegisterSlot.Cr4: file.Sregs.Cr4 = value; break;
            case X86RegisterSlot.Cr8: file.Sregs.Cr8 = value; break;
            case X86RegisterSlot.Efer: file.Sregs.Efer = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(slot), slot, "not a scalar register");
        }
    }

    // KvmRegs is a sequential struct of 18 ulongs in X86RegisterSlot's order (struct kvm_regs's), so a general slot is
    // an index into a span over it; the span covers exactly the struct and lives only for the caller's expression.
    private static ref readonly ulong Gpr(in KvmRegs regs, X86RegisterSlot slot) =>
        ref MemoryMarshal.CreateReadOnlySpan(in regs.Rax, GeneralCount)[(int)slot];

    private static ref ulong WritableGpr(ref KvmRegs regs, X86RegisterSlot slot) => ref MemoryMarshal.CreateSpan(ref regs.Rax, GeneralCount)[(int)slot];

    // KvmFpu's arrays are fixed buffers, which need unsafe code to index; this project has none, so the struct is viewed
    // as bytes instead, at struct kvm_fpu's offsets. Sound: KvmFpu is an unmanaged sequential struct, the span covers
    // exactly its bytes, and callers use the span only while they hold the reference it was made from.
    private static ReadOnlySpan<byte> FpuBytes(in KvmFpu fpu) => MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(in fpu, 1));

    private static Span<byte> WritableFpuBytes(ref KvmFpu fpu) => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref fpu, 1));
}
