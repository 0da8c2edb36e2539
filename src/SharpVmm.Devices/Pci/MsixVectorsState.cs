namespace SharpVmm.Devices.Pci;

/// <summary>The guest-visible state of <see cref="MsixVectors"/> (<see cref="MsixVectors.SaveState"/>).</summary>
public sealed record MsixVectorsState
{
    /// <summary>The vector table, 16 bytes per vector.</summary>
    public byte[] Table { get; set; } = [];

    /// <summary>The pending bit array, 64 vectors per element.</summary>
    public ulong[] PendingBits { get; set; } = [];

    /// <summary>MSI-X Enable.</summary>
    public bool Enabled { get; set; }

    /// <summary>Function Mask.</summary>
    public bool FunctionMasked { get; set; }
}
