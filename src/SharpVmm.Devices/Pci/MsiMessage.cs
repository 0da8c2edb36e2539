namespace SharpVmm.Devices.Pci;

/// <summary>A message-signalled interrupt: the address and data a device writes (PCI Local Bus 3.0, 6.8).</summary>
/// <param name="Address">The message address (0xFEExxxxx on x86: destination APIC ID and mode).</param>
/// <param name="Data">The message data (vector and delivery mode on x86).</param>
public readonly record struct MsiMessage(ulong Address, uint Data);
