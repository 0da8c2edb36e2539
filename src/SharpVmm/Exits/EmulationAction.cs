using SharpVmm.Kvm.Structs;

namespace SharpVmm.Exits;

/// <summary>
/// The outcome of <see cref="InstructionEmulator.Decide"/>: a complete description of the guest-state change for one
/// instruction, applied to a vCPU by <see cref="EmulationFailureHandler"/>. Built only on the emulation-failure path.
/// </summary>
public sealed record EmulationAction
{
    /// <summary>Resume, inject or stop.</summary>
    public required EmulationActionKind Kind { get; init; }

    /// <summary>The instruction's mnemonic in lower case (<c>int3</c>, <c>popcnt</c>), or <c>null</c> when it did not decode.</summary>
    public string? Mnemonic { get; init; }

    /// <summary>The instruction as Iced formats it (Intel syntax), or <c>null</c> when it did not decode.</summary>
    public string? Instruction { get; init; }

    /// <summary>The full register file to load (RIP already advanced where the instruction completes). Unused for <see cref="EmulationActionKind.Stop"/>.</summary>
    public KvmRegs Registers { get; init; }

    /// <summary>For <see cref="EmulationActionKind.InjectException"/>: the exception vector.</summary>
    public byte Vector { get; init; }

    /// <summary>For <see cref="EmulationActionKind.InjectException"/>: the error code, when the exception has one.</summary>
    public uint? ErrorCode { get; init; }

    /// <summary>A new MXCSR value to load (<c>ldmxcsr</c>), or <c>null</c>.</summary>
    public uint? Mxcsr { get; init; }

    /// <summary>A guest linear address to store <see cref="StoreValue"/> at (4 bytes, <c>stmxcsr</c>), or <c>null</c>.</summary>
    public ulong? StoreAddress { get; init; }

    /// <summary>The 32-bit value to store at <see cref="StoreAddress"/>.</summary>
    public uint StoreValue { get; init; }

    /// <summary>For <see cref="EmulationActionKind.Stop"/>: what a person reads (instruction, RIP, and a way around it where known).</summary>
    public string? Message { get; init; }
}
