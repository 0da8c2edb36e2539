using SharpVmm.Kvm.Structs;
using SharpVmm.X86;

namespace SharpVmm.Cli.Parsing;

/// <summary>A <c>--reg NAME=VALUE</c> option: sets one general-purpose register before the guest starts.</summary>
/// <param name="Name">Lower-case register name (rax … r15, rip, rflags).</param>
/// <param name="Value">The value.</param>
public readonly record struct RegisterAssignment(string Name, ulong Value)
{
    /// <summary>Every register name <c>--reg</c> accepts.</summary>
    public static IReadOnlyList<string> Names => GeneralRegisters.Names;

    /// <summary>Parses <c>NAME=VALUE</c>.</summary>
    public static RegisterAssignment Parse(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new UsageException($"--reg: '{text}' is not NAME=VALUE (e.g. rax=2)");
        }

        string name = text[..eq].Trim().ToLowerInvariant();
        if (!Names.Contains(name))
        {
            throw new UsageException($"--reg: unknown register '{name}' (known: {string.Join(", ", Names)})");
        }

        return new RegisterAssignment(name, NumberParser.ParseUnsigned(text[(eq + 1)..], $"--reg {name}"));
    }

    /// <summary>Stores the value into <paramref name="regs"/>.</summary>
    public void ApplyTo(ref KvmRegs regs) => GeneralRegisters.Set(ref regs, Name, Value);
}
