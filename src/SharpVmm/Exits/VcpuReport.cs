using System.Globalization;
using System.Text;
using Iced.Intel;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;

namespace SharpVmm.Exits;

/// <summary>
/// Builds the text a person reads when a vCPU stops abnormally: registers, segments, control registers and
/// the instructions at RIP, disassembled. Built only on the way out, so it may allocate freely.
/// </summary>
public static class VcpuReport
{
    private const ulong Cr0Pe = 1, Cr0Pg = 1UL << 31;
    private const int InstructionsShown = 4;

    /// <summary>
    /// Said below the registers when they are the x86 reset state (CS base 0xffff0000, IP 0xfff0, real mode): on AMD
    /// SVM, KVM re-initializes a vCPU when it intercepts a shutdown, so after a triple fault the state at the fault is
    /// gone and only the reset state can be read.
    /// </summary>
    public const string ResetStateNote =
        "note: these registers are the CPU's reset state: KVM reset this vCPU when it intercepted the shutdown (KVM on AMD SVM does), so the state at the fault is lost";

    /// <summary>Reads <paramref name="vcpu"/>'s state and formats it (the caller prints its own headline above).</summary>
    public static string Build(KvmVcpu vcpu, GuestMemory memory)
    {
        KvmRegs regs;
        KvmSregs sregs;
        try
        {
            regs = vcpu.GetRegs();
            sregs = vcpu.GetSregs();
        }
        catch (KvmException ex)
        {
            return $"  (registers unavailable: {ex.Message})\n";
        }

        ulong? physical = null;
        ulong linear = sregs.Cs.Base + regs.Rip;
        if ((sregs.Cr0 & Cr0Pg) == 0)
        {
            physical = (sregs.Cr0 & Cr0Pe) == 0 ? linear & 0xFFFFF_FFFF : linear & 0xFFFF_FFFF;
        }
        else
        {
            try
            {
                physical = vcpu.Translate(linear);
            }
            catch (KvmException)
            {
                physical = null;
            }
        }

        return Format(regs, sregs, physical, memory);
    }

    /// <summary>Formats already-read state (also used by tests).</summary>
    public static string Format(in KvmRegs regs, in KvmSregs sregs, ulong? ripPhysical, GuestMemory memory)
    {
        var text = new StringBuilder();
        AppendRow(text, ("rax", regs.Rax), ("rbx", regs.Rbx), ("rcx", regs.Rcx), ("rdx", regs.Rdx));
        AppendRow(text, ("rsi", regs.Rsi), ("rdi", regs.Rdi), ("rsp", regs.Rsp), ("rbp", regs.Rbp));
        AppendRow(text, ("r8", regs.R8), ("r9", regs.R9), ("r10", regs.R10), ("r11", regs.R11));
        AppendRow(text, ("r12", regs.R12), ("r13", regs.R13), ("r14", regs.R14), ("r15", regs.R15));
        AppendRow(text, ("rip", regs.Rip), ("rflags", regs.Rflags));
        AppendSegment(text, "cs", sregs.Cs);
        AppendSegment(text, "ds", sregs.Ds);
        AppendSegment(text, "es", sregs.Es);
        AppendSegment(text, "fs", sregs.Fs);
        AppendSegment(text, "gs", sregs.Gs);
        AppendSegment(text, "ss", sregs.Ss);
        AppendSegment(text, "tr", sregs.Tr);
        text.Append(CultureInfo.InvariantCulture, $"  gdt base=0x{sregs.Gdt.Base:x} limit=0x{sregs.Gdt.Limit:x}  idt base=0x{sregs.Idt.Base:x} limit=0x{sregs.Idt.Limit:x}\n");
        AppendRow(text, ("cr0", sregs.Cr0), ("cr2", sregs.Cr2), ("cr3", sregs.Cr3), ("cr4", sregs.Cr4));
        AppendRow(text, ("efer", sregs.Efer), ("apic_base", sregs.ApicBase));

        if (regs.Rip == 0xFFF0 && sregs.Cs.Base == 0xFFFF_0000 && (sregs.Cr0 & Cr0Pe) == 0)
        {
            text.Append("  ").Append(ResetStateNote).Append('\n');
        }

        int bitness = (sregs.Cr0 & Cr0Pe) == 0 ? 16 : sregs.Cs.L != 0 ? 64 : sregs.Cs.Db != 0 ? 32 : 16;
        AppendCode(text, regs.Rip, ripPhysical, bitness, memory);
        return text.ToString();
    }

    private static void AppendCode(StringBuilder text, ulong rip, ulong? physical, int bitness, GuestMemory memory)
    {
        if (physical is not ulong start)
        {
            text.Append("  code at rip: the address is not mapped by the guest's page tables\n");
            return;
        }

        // Take as many bytes as are backed by memory, up to enough for a few instructions.
        int length = 0;
        for (int want = 60; want > 0 && length == 0; want--)
        {
            if (memory.Contains(new GuestAddress(start), (ulong)want))
            {
                length = want;
            }
        }

        if (length == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  code at rip: physical 0x{start:x} is not backed by guest memory\n");
            return;
        }

        byte[] bytes = memory.GetSpan(new GuestAddress(start), length).ToArray();
        text.Append(CultureInfo.InvariantCulture, $"  code at rip ({bitness}-bit, physical 0x{start:x}):\n");
        var decoder = Iced.Intel.Decoder.Create(bitness, new ByteArrayCodeReader(bytes), rip);
        var formatter = new GasFormatter();
        var output = new StringOutput();
        for (int i = 0; i < InstructionsShown && decoder.IP < rip + (ulong)length; i++)
        {
            ulong at = decoder.IP;
            decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid)
            {
                text.Append(CultureInfo.InvariantCulture, $"    {at:x8}  {bytes[(int)(at - rip)]:x2}  (invalid or truncated instruction)\n");
                break;
            }

            formatter.Format(instruction, output);
            string hex = Convert.ToHexString(bytes, (int)(at - rip), instruction.Length).ToLowerInvariant();
            text.Append(CultureInfo.InvariantCulture, $"    {at:x8}  {hex,-20}  {output.ToStringAndReset()}{(i == 0 ? "    <-- rip" : "")}\n");
        }
    }

    private static void AppendRow(StringBuilder text, params ReadOnlySpan<(string Name, ulong Value)> registers)
    {
        text.Append(' ');
        foreach ((string name, ulong value) in registers)
        {
            text.Append(CultureInfo.InvariantCulture, $" {name,6}=0x{value:x16}");
        }

        text.Append('\n');
    }

    private static void AppendSegment(StringBuilder text, string name, in KvmSegment s) =>
        text.Append(CultureInfo.InvariantCulture,
            $"  {name}=0x{s.Selector:x4} base=0x{s.Base:x} limit=0x{s.Limit:x} type={s.Type} s={s.S} dpl={s.Dpl} p={s.Present} db={s.Db} l={s.L} g={s.G}{(s.Unusable != 0 ? " unusable" : "")}\n");
}
