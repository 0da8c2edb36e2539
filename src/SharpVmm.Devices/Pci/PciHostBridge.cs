using System.Buffers.Binary;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Pci;

/// <summary>
/// Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) at ports 0xCF8-0xCFF (<see cref="PciLayout.ConfigPortCount"/>
/// ports from <see cref="PciLayout.ConfigAddressPort"/>): CONFIG_ADDRESS is the dword at 0xCF8 (bit 31 enable, bus in
/// 23:16, device in 15:11, function in 10:8, register in 7:2); byte, word and dword accesses to CONFIG_DATA
/// (0xCFC-0xCFF) reach the addressed function's configuration space at register + (port - 0xCFC). With the enable bit
/// clear, or for an absent function, data reads are all ones and writes vanish. Accesses to 0xCF8-0xCFB that are not a
/// whole dword are not CONFIG_ADDRESS (they read all ones and are dropped, as on a PC).
/// </summary>
public sealed class PciHostBridge : IBusDevice
{
    /// <summary>CONFIG_ADDRESS bit 31: configuration cycles enabled.</summary>
    public const uint EnableBit = 1u << 31;

    private const int DataOffset = 4;
    private readonly PciBus _bus;
    private uint _address;

    /// <summary>Creates the ports for <paramref name="bus"/>.</summary>
    public PciHostBridge(PciBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus;
    }

    /// <summary>The current CONFIG_ADDRESS value.</summary>
    public uint ConfigAddress => Volatile.Read(ref _address);

    /// <summary>CONFIG_ADDRESS and the host bridge function's configuration space.</summary>
    public PciHostBridgeState SaveState() => new() { ConfigAddress = ConfigAddress, HostBridgeFunction = _bus.HostBridge.SaveState() };

    /// <summary>Restores CONFIG_ADDRESS and the host bridge function. Call before the vCPUs run.</summary>
    /// <exception cref="DeviceStateException">CONFIG_ADDRESS has its reserved bits 1:0 set, or the function's state does
    /// not fit; nothing is changed then.</exception>
    public void RestoreState(PciHostBridgeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        DeviceStateException.Require((state.ConfigAddress & 3) == 0, "pci-host-bridge", nameof(state.ConfigAddress), "has reserved bits 1:0 set");
        PciConfigSpaceState function = DeviceStateException.Present(state.HostBridgeFunction, "pci-host-bridge", nameof(state.HostBridgeFunction));
        _bus.HostBridge.RestoreState(function);
        Volatile.Write(ref _address, state.ConfigAddress);
    }

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data, ConfigAddress);
            return;
        }

        if (offset < DataOffset || offset >= PciLayout.ConfigPortCount)
        {
            data.Fill(0xFF);
            return;
        }

        uint address = ConfigAddress;
        if ((address & EnableBit) == 0)
        {
            data.Fill(0xFF);
            return;
        }

        Decode(address, offset, out int bus, out int slot, out int function, out int register);
        _bus.ReadConfig(bus, slot, function, register, data);
    }

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            // Bits 1:0 are reserved and read as 0.
            Volatile.Write(ref _address, BinaryPrimitives.ReadUInt32LittleEndian(data) & ~3u);
            return;
        }

        if (offset < DataOffset || offset >= PciLayout.ConfigPortCount)
        {
            return;
        }

        uint address = ConfigAddress;
        if ((address & EnableBit) == 0)
        {
            return;
        }

        Decode(address, offset, out int bus, out int slot, out int function, out int register);
        _bus.WriteConfig(bus, slot, function, register, data);
    }

    private static void Decode(uint address, ulong offset, out int bus, out int slot, out int function, out int register)
    {
        bus = (int)((address >> 16) & 0xFF);
        slot = (int)((address >> 11) & 0x1F);
        function = (int)((address >> 8) & 0x7);
        register = (int)(address & 0xFC) + (int)(offset - DataOffset);
    }
}
