using System.Buffers.Binary;
using System.Numerics;
using Iced.Intel;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Exits;

/// <summary>
/// Decides what to do about an instruction KVM's emulator could not run (<c>KVM_INTERNAL_ERROR_EMULATION</c>), from the
/// instruction bytes and the vCPU state alone. It changes nothing itself (<see cref="EmulationFailureHandler"/> applies
/// the <see cref="EmulationAction"/> it returns) except the one memory update that must be atomic with respect to the
/// other vCPUs: <c>cmpxchg16b</c> runs through <see cref="IEmulationEnvironment.TryCompareExchange128"/>. Handles
/// <c>int3</c>, <c>clac</c>/<c>stac</c>, <c>popcnt</c>, <c>fwait</c>, <c>ldmxcsr</c>/<c>stmxcsr</c> (and their VEX
/// forms) and <c>cmpxchg16b</c>; anything else is a stop with an explanation.
/// </summary>
public static class InstructionEmulator
{
    /// <summary>RFLAGS bits this class reads or writes.</summary>
    public const ulong RflagsCf = 1UL << 0, RflagsPf = 1UL << 2, RflagsAf = 1UL << 4, RflagsZf = 1UL << 6,
        RflagsSf = 1UL << 7, RflagsOf = 1UL << 11, RflagsVm = 1UL << 17, RflagsAc = 1UL << 18;

    /// <summary>Exception vectors this class injects.</summary>
    public const byte VectorBreakpoint = 3, VectorInvalidOpcode = 6, VectorGeneralProtection = 13;

    /// <summary>MXCSR bits that must be zero (<c>ldmxcsr</c> raises #GP otherwise); MXCSR_MASK is 0xFFFF on CPUs with DAZ.</summary>
    public const uint MxcsrReserved = 0xFFFF_0000;

    private const ulong Cr0Pe = 1, EferLma = 1UL << 10;
    private const ulong ArithmeticFlags = RflagsCf | RflagsPf | RflagsAf | RflagsZf | RflagsSf | RflagsOf;

    /// <summary>The code size the vCPU decodes with: 16 (real mode or a 16-bit segment), 32, or 64 (CS.L in long mode).</summary>
    public static int Bitness(in KvmSregs sregs) =>
        (sregs.Cr0 & Cr0Pe) == 0 ? 16
        : sregs.Cs.L != 0 && (sregs.Efer & EferLma) != 0 ? 64
        : sregs.Cs.Db != 0 ? 32
        : 16;

    /// <summary>The current privilege level: 0 in real mode, 3 in virtual-8086 mode, else SS.DPL (as KVM reads it).</summary>
    public static int Cpl(in KvmRegs regs, in KvmSregs sregs) =>
        (sregs.Cr0 & Cr0Pe) == 0 ? 0 : (regs.Rflags & RflagsVm) != 0 ? 3 : sregs.Ss.Dpl;

    /// <summary>
    /// Decides what to do about <paramref name="instruction"/> (the bytes at RIP, possibly followed by more), executed
    /// with <paramref name="regs"/> and <paramref name="sregs"/>. Empty bytes (KVM did not supply them) are a stop.
    /// </summary>
    public static EmulationAction Decide(ReadOnlySpan<byte> instruction, in KvmRegs regs, in KvmSregs sregs, IEmulationEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (instruction.IsEmpty)
        {
            return Stop(null, null, $"KVM could not emulate the instruction at RIP 0x{regs.Rip:x} and did not report its bytes");
        }

        int bitness = Bitness(sregs);
        byte[] bytes = instruction.ToArray();
        var decoder = Iced.Intel.Decoder.Create(bitness, new ByteArrayCodeReader(bytes), regs.Rip);
        decoder.Decode(out Instruction insn);
        if (insn.IsInvalid)
        {
            string why = decoder.LastError == DecoderError.NoMoreBytes
                ? $"the {bytes.Length} bytes KVM reported are a truncated instruction"
                : $"they are not a valid {bitness}-bit instruction";
            return Stop(null, null, $"KVM could not emulate the instruction at RIP 0x{regs.Rip:x} (bytes {Hex(bytes)}); {why}");
        }

        string text = Format(insn);
        string mnemonic = insn.Mnemonic.ToString().ToLowerInvariant();
        KvmRegs next = regs;
        next.Rip = WrapIp(regs.Rip + (ulong)insn.Length, bitness);

        switch (insn.Mnemonic)
        {
            case Mnemonic.Int3:
                // A software exception: the return address KVM pushes is RIP, so RIP must already point past the int3.
                return Inject(mnemonic, text, next, VectorBreakpoint, null);

            case Mnemonic.Clac:
            case Mnemonic.Stac:
                if (Cpl(regs, sregs) != 0)
                {
                    return Inject(mnemonic, text, regs, VectorInvalidOpcode, null);
                }

                next.Rflags = insn.Mnemonic == Mnemonic.Stac ? regs.Rflags | RflagsAc : regs.Rflags & ~RflagsAc;
                return Resume(mnemonic, text, next);

            case Mnemonic.Wait:
                // No x87 exception is ever pending in this model, so fwait has nothing to wait for.
                return Resume(mnemonic, text, next);

            case Mnemonic.Popcnt:
                return Popcnt(insn, mnemonic, text, regs, sregs, bitness, next, environment);

            case Mnemonic.Ldmxcsr:
            case Mnemonic.Vldmxcsr:
            {
                Span<byte> value = stackalloc byte[4];
                if (!TryMemoryAddress(insn, 0, regs, sregs, bitness, out ulong address) || !environment.TryReadLinear(address, value))
                {
                    return Stop(mnemonic, text, $"{Cannot(text, regs.Rip)}, and its operand at 0x{address:x} is not readable guest RAM");
                }

                uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(value);
                return (mxcsr & MxcsrReserved) != 0
                    ? Inject(mnemonic, text, regs, VectorGeneralProtection, 0)
                    : Resume(mnemonic, text, next) with { Mxcsr = mxcsr };
            }

            case Mnemonic.Stmxcsr:
            case Mnemonic.Vstmxcsr:
                return TryMemoryAddress(insn, 0, regs, sregs, bitness, out ulong storeAt)
                    ? Resume(mnemonic, text, next) with { StoreAddress = storeAt, StoreValue = environment.ReadMxcsr() }
                    : Stop(mnemonic, text, $"{Cannot(text, regs.Rip)}: its operand address could not be computed");

            case Mnemonic.Cmpxchg16b:
                return Cmpxchg16b(insn, mnemonic, text, regs, sregs, bitness, next, environment);

            default:
                string? hint = KernelParameterHint(insn);
                string message = Cannot(text, regs.Rip) + $" (bytes {Hex(bytes.AsSpan(0, insn.Length))})";
                return Stop(mnemonic, text, hint is null ? message : $"{message}; boot the guest kernel with `{hint}` to avoid it");
        }
    }

    /// <summary>The kernel command-line parameter that keeps a Linux guest from executing <paramref name="insn"/>, if one is known.</summary>
    public static string? KernelParameterHint(in Instruction insn)
    {
        switch (insn.Mnemonic)
        {
            case Mnemonic.Xsave or Mnemonic.Xsave64 or Mnemonic.Xsaveopt or Mnemonic.Xsaveopt64 or Mnemonic.Xsavec
                or Mnemonic.Xsavec64 or Mnemonic.Xsaves or Mnemonic.Xsaves64 or Mnemonic.Xrstor or Mnemonic.Xrstor64
                or Mnemonic.Xrstors or Mnemonic.Xrstors64 or Mnemonic.Xgetbv or Mnemonic.Xsetbv:
                return "noxsave clearcpuid=154"; // Linux 6.x knows only the second: X86_FEATURE_XSAVE, 4*32+26
            case Mnemonic.Clac or Mnemonic.Stac:
                return "nosmap clearcpuid=308"; // X86_FEATURE_SMAP, 9*32+20
        }

        foreach (CpuidFeature feature in insn.Code.CpuidFeatures())
        {
            if (feature == CpuidFeature.SSSE3)
            {
                return "clearcpuid=ssse3 cryptomgr.notests";
            }
        }

        return null;
    }

    private static EmulationAction Popcnt(in Instruction insn, string mnemonic, string text, in KvmRegs regs, in KvmSregs sregs, int bitness,
        KvmRegs next, IEmulationEnvironment environment)
    {
        Register destination = insn.Op0Register;
        int size = destination.GetSize();
        ulong source;
        if (insn.Op1Kind == OpKind.Register)
        {
            source = ReadRegister(regs, insn.Op1Register);
        }
        else
        {
            Span<byte> value = stackalloc byte[8];
            value.Clear();
            if (!TryMemoryAddress(insn, 1, regs, sregs, bitness, out ulong address) || !environment.TryReadLinear(address, value[..size]))
            {
                return Stop(mnemonic, text, $"{Cannot(text, regs.Rip)}, and its operand at 0x{address:x} is not readable guest RAM");
            }

            source = BinaryPrimitives.ReadUInt64LittleEndian(value);
        }

        // SDM: the destination gets the count; ZF = (source == 0); OF, SF, AF, CF and PF are cleared.
        WriteRegister(ref next, destination, (ulong)BitOperations.PopCount(source));
        next.Rflags = (regs.Rflags & ~ArithmeticFlags) | (source == 0 ? RflagsZf : 0);
        return Resume(mnemonic, text, next);
    }

    private static EmulationAction Cmpxchg16b(in Instruction insn, string mnemonic, string text, in KvmRegs regs, in KvmSregs sregs, int bitness,
        KvmRegs next, IEmulationEnvironment environment)
    {
        if (!TryMemoryAddress(insn, 0, regs, sregs, bitness, out ulong address))
        {
            return Stop(mnemonic, text, $"{Cannot(text, regs.Rip)}: its operand address could not be computed");
        }

        // SDM: a memory operand that is not 16-byte aligned raises #GP(0), whether or not the comparison would succeed.
        if ((address & 15) != 0)
        {
            return Inject(mnemonic, text, regs, VectorGeneralProtection, 0);
        }

        // Compare RDX:RAX with m128: equal sets ZF and stores RCX:RBX; unequal clears ZF and loads m128 into RDX:RAX.
        // Always done as one locked access (the lock prefix only makes explicit what the VMM must do anyway).
        UInt128 expected = new(regs.Rdx, regs.Rax);
        if (!environment.TryCompareExchange128(address, ref expected, new UInt128(regs.Rcx, regs.Rbx), out bool exchanged))
        {
            return Stop(mnemonic, text, $"{Cannot(text, regs.Rip)}, and its operand at 0x{address:x} is not writable guest RAM");
        }

        if (exchanged)
        {
            next.Rflags = regs.Rflags | RflagsZf;
        }
        else
        {
            next.Rflags = regs.Rflags & ~RflagsZf;
            next.Rax = (ulong)expected;
            next.Rdx = (ulong)(expected >> 64);
        }

        return Resume(mnemonic, text, next);
    }

    private static bool TryMemoryAddress(in Instruction insn, int operand, KvmRegs regs, KvmSregs sregs, int bitness, out ulong address)
    {
        address = 0;
        if (insn.GetOpKind(operand) != OpKind.Memory)
        {
            return false;
        }

        return insn.TryGetVirtualAddress(operand, 0, out address, (Register register, int element, int elementSize, out ulong value) =>
        {
            if (register.IsSegmentRegister())
            {
                // In 64-bit mode only FS and GS have a base.
                value = bitness == 64 && register is not (Register.FS or Register.GS) ? 0 : SegmentBase(sregs, register);
                return true;
            }

            if (!register.IsGPR())
            {
                value = 0;
                return false;
            }

            value = ReadRegister(regs, register);
            return true;
        });
    }

    private static ulong SegmentBase(in KvmSregs sregs, Register segment) => segment switch
    {
        Register.ES => sregs.Es.Base,
        Register.CS => sregs.Cs.Base,
        Register.SS => sregs.Ss.Base,
        Register.DS => sregs.Ds.Base,
        Register.FS => sregs.Fs.Base,
        Register.GS => sregs.Gs.Base,
        _ => 0,
    };

    /// <summary>Reads a general-purpose register of any width (including AH/BH/CH/DH) from <paramref name="regs"/>.</summary>
    public static ulong ReadRegister(in KvmRegs regs, Register register)
    {
        KvmRegs copy = regs;
        ulong full = Gpr(ref copy, register.GetFullRegister());
        if (register is Register.AH or Register.BH or Register.CH or Register.DH)
        {
            return (full >> 8) & 0xFF;
        }

        int size = register.GetSize();
        return size >= 8 ? full : full & ((1UL << (size * 8)) - 1);
    }

    /// <summary>Writes a 16-, 32- or 64-bit general-purpose register as the CPU does (32-bit writes zero the upper half).</summary>
    public static void WriteRegister(ref KvmRegs regs, Register register, ulong value)
    {
        ref ulong full = ref Gpr(ref regs, register.GetFullRegister());
        full = register.GetSize() switch
        {
            8 => value,
            4 => (uint)value,
            2 => (full & ~0xFFFFUL) | (value & 0xFFFF),
            _ => throw new ArgumentException($"cannot write {register}", nameof(register)),
        };
    }

    private static ref ulong Gpr(ref KvmRegs regs, Register full)
    {
        switch (full)
        {
            case Register.RAX: return ref regs.Rax;
            case Register.RBX: return ref regs.Rbx;
            case Register.RCX: return ref regs.Rcx;
            case Register.RDX: return ref regs.Rdx;
            case Register.RSI: return ref regs.Rsi;
            case Register.RDI: return ref regs.Rdi;
            case Register.RSP: return ref regs.Rsp;
            case Register.RBP: return ref regs.Rbp;
            case Register.R8: return ref regs.R8;
            case Register.R9: return ref regs.R9;
            case Register.R10: return ref regs.R10;
            case Register.R11: return ref regs.R11;
            case Register.R12: return ref regs.R12;
            case Register.R13: return ref regs.R13;
            case Register.R14: return ref regs.R14;
            case Register.R15: return ref regs.R15;
            default: throw new ArgumentException($"{full} is not a general-purpose register", nameof(full));
        }
    }

    private static ulong WrapIp(ulong ip, int bitness) => bitness switch
    {
        64 => ip,
        32 => ip & 0xFFFF_FFFF,
        _ => ip & 0xFFFF,
    };

    private static string Format(in Instruction insn)
    {
        var formatter = new IntelFormatter();
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = null;
        var output = new StringOutput();
        formatter.Format(insn, output);
        return output.ToStringAndReset();
    }

    private static string Cannot(string text, ulong rip) => $"KVM cannot emulate `{text}` at RIP 0x{rip:x}";

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static EmulationAction Resume(string mnemonic, string text, in KvmRegs registers) =>
        new() { Kind = EmulationActionKind.Resume, Mnemonic = mnemonic, Instruction = text, Registers = registers };

    private static EmulationAction Inject(string mnemonic, string text, in KvmRegs registers, byte vector, uint? errorCode) =>
        new() { Kind = EmulationActionKind.InjectException, Mnemonic = mnemonic, Instruction = text, Registers = registers, Vector = vector, ErrorCode = errorCode };

    private static EmulationAction Stop(string? mnemonic, string? text, string message) =>
        new() { Kind = EmulationActionKind.Stop, Mnemonic = mnemonic, Instruction = text, Message = message };
}
