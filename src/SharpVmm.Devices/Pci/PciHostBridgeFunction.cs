namespace SharpVmm.Devices.Pci;

/// <summary>
/// The host bridge function at 00:00.0: class 06/00, no BARs. The Intel 440FX ID (8086:1237) lets Linux's
/// <c>pci_sanity_check</c> accept configuration mechanism #1.
/// </summary>
public sealed class PciHostBridgeFunction : IPciDevice
{
    /// <summary>Intel's vendor ID.</summary>
    public const ushort VendorId = 0x8086;

    /// <summary>The 82441FX (440FX) PCI and memory controller's device ID.</summary>
    public const ushort DeviceId = 0x1237;

    /// <summary>Class code 06/00/00: bridge device, host bridge (PCI Code and ID Assignment 1.x, D.7).</summary>
    public const uint ClassCode = 0x06_00_00;

    private readonly Lock _lock = new();
    private readonly PciConfigSpace _config = new(VendorId, DeviceId, ClassCode, revision: 2);

    /// <inheritdoc/>
    public IReadOnlyList<PciBar> Bars => [];

    /// <inheritdoc/>
    public event Action<int, ulong, ulong>? BarRelocated
    {
        add { }
        remove { }
    }

    /// <summary>The function's configuration space.</summary>
    public PciConfigSpaceState SaveState()
    {
        lock (_lock)
        {
            return _config.SaveState();
        }
    }

    /// <summary>Restores the writable bits of the configuration space (<see cref="PciConfigSpace.RestoreState"/>).</summary>
    /// <exception cref="DeviceStateException">The state does not fit this function; nothing is changed then.</exception>
    public void RestoreState(PciConfigSpaceState state)
    {
        lock (_lock)
        {
            _config.RestoreState(state, "pci-host-bridge-function");
        }
    }

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        lock (_lock)
        {
            _config.Read(offset, data);
        }
    }

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _config.Write(offset, data);
        }
    }
}
