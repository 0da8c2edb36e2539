namespace SharpVmm.Exits;

/// <summary>The guest state <see cref="InstructionEmulator"/> may need beyond the registers, read on demand.</summary>
public interface IEmulationEnvironment
{
    /// <summary>Reads guest memory at a linear address (through the guest's page tables); false when any byte is unmapped or not RAM.</summary>
    bool TryReadLinear(ulong linearAddress, Span<byte> destination);

    /// <summary>
    /// Atomically (as the CPU's <c>lock cmpxchg16b</c>, with respect to every vCPU) compares the 16 bytes at a 16-byte
    /// aligned linear address with <paramref name="expected"/>; when equal, stores <paramref name="desired"/> and sets
    /// <paramref name="exchanged"/>, else loads the bytes found into <paramref name="expected"/>. False (and nothing
    /// touched) when the address is unmapped or not guest RAM.
    /// </summary>
    bool TryCompareExchange128(ulong linearAddress, ref UInt128 expected, UInt128 desired, out bool exchanged);

    /// <summary>The vCPU's current MXCSR.</summary>
    uint ReadMxcsr();
}
