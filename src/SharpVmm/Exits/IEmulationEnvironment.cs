namespace SharpVmm.Exits;

/// <summary>The guest state <see cref="InstructionEmulator"/> may need beyond the registers, read on demand.</summary>
public interface IEmulationEnvironment
{
    /// <summary>Reads guest memory at a linear address (through the guest's page tables); false when any byte is unmapped or not RAM.</summary>
    bool TryReadLinear(ulong linearAddress, Span<byte> destination);

    /// <summary>The vCPU's current MXCSR.</summary>
    uint ReadMxcsr();
}
