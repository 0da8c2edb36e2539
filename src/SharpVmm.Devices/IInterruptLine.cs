namespace SharpVmm.Devices;

/// <summary>An interrupt input a device drives (a PIC/IOAPIC pin, later an irqfd).</summary>
public interface IInterruptLine
{
    /// <summary>Drives the line high (true) or low (false). Level-triggered devices hold it high while they need service.</summary>
    void SetLevel(bool high);
}
