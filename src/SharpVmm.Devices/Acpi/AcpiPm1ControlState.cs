namespace SharpVmm.Devices.Acpi;

/// <summary>The guest-visible state of an <see cref="AcpiPm1ControlBlock"/> (<see cref="AcpiPm1ControlBlock.SaveState"/>).</summary>
public sealed record AcpiPm1ControlState
{
    /// <summary>The stored bits of PM1_CNT (BM_RLD and SLP_TYPx; SCI_EN always reads as 1 and is not stored).</summary>
    public ushort Value { get; set; }
}
