namespace SharpVmm.Devices.Acpi;

/// <summary>The guest-visible state of an <see cref="AcpiPm1EventBlock"/> (<see cref="AcpiPm1EventBlock.SaveState"/>).</summary>
public sealed record AcpiPm1EventState
{
    /// <summary>PM1_STS.</summary>
    public ushort Status { get; set; }

    /// <summary>PM1_EN.</summary>
    public ushort Enable { get; set; }
}
