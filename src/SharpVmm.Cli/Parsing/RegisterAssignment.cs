using SharpVmm.Kvm.Structs;

namespace SharpVmm.Cli.Parsing;

/// <summary>A <c>--reg NAME=VALUE</c> option: sets one general-purpose register before the guest starts.</summary>
/// <param name="Name">Lower-case register name (rax … r15, rip, rflags).</param>
/// <param name="Value">The value.</param>
public readonly record struct RegisterAssignment(string Name, ulong Value)
{
    /// <summary>The register names <c>--reg</c> accepts.</summary>
    public static readonly string[] Names =
        ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];

    /// <summary>Parses <c>NAME=VALUE</c>.</summary>
    public static RegisterAssignment Parse(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new UsageException($"--reg: '{text}' is not NAME=VALUE (e.g. rax=2)");
        }

        string name = text[..eq].Trim().ToLowerInvariant();
        if (Array.IndexOf(Names, name) < 0)
        {
            throw new UsageException($"--reg: unknown register '{name}' (known: {string.Join(", ", Names)})");
        }

        return new RegisterAssignment(name, NumberParser.ParseUnsigned(text[(eq + 1)..], $"--reg {name}"));
    }

    /// <summary>Stores the value into <paramref name="regs"/>.</summary>
    public void ApplyTo(ref KvmRegs regs)
    {
        switch (Name)
        {
            case "rax": regs.Rax = Value; break;
            case "rbx": regs.Rbx = Value; break;
            case "rcx": regs.Rcx = Value; break;
            case "rdx": regs.Rdx = Value; break;
            case "rsi": regs.Rsi = Value; break;
            case "rdi": regs.Rdi = Value; break;
            case "rsp": regs.Rsp = Value; break;
            case "rbp": regs.Rbp = Value; break;
            case "r8": regs.R8 = Value; break;
            case "r9": regs.R9 = Value; break;
            case "r10": regs.R10 = Value; break;
            case "r11": regs.R11 = Value; break;
            case "r12": regs.R12 = Value; break;
            case "r13": regs.R13 = Value; break;
            case "r14": regs.R14 = Value; break;
            case "r15": regs.R15 = Value; break;
            case "rip": regs.Rip = Value; break;
            case "rflags": regs.Rflags = Value; break;
            default: throw new UsageException($"--reg: unknown register '{Name}'");
        }
    }
}
