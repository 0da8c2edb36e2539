using SharpVmm.Kvm.Structs;

namespace SharpVmm.X86;

/// <summary>The general registers a raw guest's start state may set, by their lower-case names.</summary>
public static class GeneralRegisters
{
    /// <summary>Every name <see cref="Set"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];

    /// <summary>Sets register <paramref name="name"/> in <paramref name="regs"/>.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Names"/>.</exception>
    public static void Set(ref KvmRegs regs, string name, ulong value)
    {
        switch (name)
        {
            case "rax": regs.Rax = value; break;
            case "rbx": regs.Rbx = value; break;
            case "rcx": regs.Rcx = value; break;
            case "rdx": regs.Rdx = value; break;
            case "rsi": regs.Rsi = value; break;
            case "rdi": regs.Rdi = value; break;
            case "rsp": regs.Rsp = value; break;
            case "rbp": regs.Rbp = value; break;
            case "r8": regs.R8 = value; break;
            case "r9": regs.R9 = value; break;
            case "r10": regs.R10 = value; break;
            case "r11": regs.R11 = value; break;
            case "r12": regs.R12 = value; break;
            case "r13": regs.R13 = value; break;
            case "r14": regs.R14 = value; break;
            case "r15": regs.R15 = value; break;
            case "rip": regs.Rip = value; break;
            case "rflags": regs.Rflags = value; break;
            default: throw new ArgumentException($"unknown register '{name}' (known: {string.Join(", ", Names)})", nameof(name));
        }
    }
}
