using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Pci;

/// <summary>A 32-bit non-prefetchable memory BAR a device implements, and the registers that answer inside it.</summary>
/// <param name="Index">BAR number (0-5).</param>
/// <param name="Size">Size in bytes (a power of two).</param>
/// <param name="Region">Answers MMIO accesses, with offsets from the BAR's base.</param>
public sealed record PciBar(int Index, uint Size, IBusDevice Region);
