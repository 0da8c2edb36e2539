using System.Buffers.Binary;

namespace SharpVmm.Devices.Pci;

/// <summary>
/// A type-0 configuration space header and capability list (PCI Local Bus 3.0, 6.1-6.7): 256 bytes with a per-bit
/// writable mask, so IDs, class code, status and the interrupt pin are read-only and a BAR answers all-ones sizing
/// writes with its size. BARs are 32-bit non-prefetchable memory BARs. Not thread-safe: the owning device serialises
/// accesses.
/// </summary>
public sealed class PciConfigSpace
{
    /// <summary>Size of the configuration space.</summary>
    public const int Size = 256;

    // Type-0 header offsets (PCI Local Bus 3.0, figure 6-1).
    /// <summary>Vendor ID (16 bits).</summary>
    public const int VendorIdOffset = 0x00;

    /// <summary>Device ID (16 bits).</summary>
    public const int DeviceIdOffset = 0x02;

    /// <summary>Command register (16 bits).</summary>
    public const int CommandOffset = 0x04;

    /// <summary>Status register (16 bits).</summary>
    public const int StatusOffset = 0x06;

    /// <summary>Revision ID (8 bits).</summary>
    public const int RevisionOffset = 0x08;

    /// <summary>Class code: programming interface, subclass, base class (24 bits).</summary>
    public const int ClassCodeOffset = 0x09;

    /// <summary>Header type (8 bits; 0 = a type-0, single-function device).</summary>
    public const int HeaderTypeOffset = 0x0E;

    /// <summary>Base address register 0 (BARs 0-5 follow, 4 bytes each).</summary>
    public const int Bar0Offset = 0x10;

    /// <summary>Subsystem vendor ID (16 bits).</summary>
    public const int SubsystemVendorIdOffset = 0x2C;

    /// <summary>Subsystem ID (16 bits).</summary>
    public const int SubsystemIdOffset = 0x2E;

    /// <summary>Capabilities pointer (8 bits).</summary>
    public const int CapabilitiesPointerOffset = 0x34;

    /// <summary>Interrupt line (8 bits, scratch for the OS).</summary>
    public const int InterruptLineOffset = 0x3C;

    /// <summary>Interrupt pin (8 bits: 0 none, 1 INTA … 4 INTD).</summary>
    public const int InterruptPinOffset = 0x3D;

    /// <summary>Number of BARs in a type-0 header.</summary>
    public const int BarCount = 6;

    /// <summary>Command bit 1, Memory Space: the device decodes its memory BARs (6.2.2).</summary>
    public const ushort CommandMemorySpace = 1 << 1;

    /// <summary>Command bit 2, Bus Master (6.2.2).</summary>
    public const ushort CommandBusMaster = 1 << 2;

    /// <summary>Command bit 10, Interrupt Disable: the device must not assert INTx (6.2.2).</summary>
    public const ushort CommandInterruptDisable = 1 << 10;

    /// <summary>Status bit 4, Capabilities List (6.2.3).</summary>
    public const ushort StatusCapabilitiesList = 1 << 4;

    /// <summary>The first byte after the header where capabilities go.</summary>
    public const int FirstCapabilityOffset = 0x40;

    // Command bits a guest may change: I/O space, memory space, bus master, interrupt disable.
    private const ushort CommandWritable = 0x0007 | CommandInterruptDisable;

    private readonly byte[] _data = new byte[Size];
    private readonly byte[] _writable = new byte[Size];
    private readonly uint[] _barSizes = new uint[BarCount];
    private readonly ulong[] _decoded = new ulong[BarCount];
    private int _lastCapability;
    private int _nextCapability = FirstCapabilityOffset;

    /// <summary>Creates a header with the given identity; the interrupt pin is 0 (none) until set.</summary>
    /// <param name="vendorId">Vendor ID.</param>
    /// <param name="deviceId">Device ID.</param>
    /// <param name="classCode">Base class &lt;&lt; 16 | subclass &lt;&lt; 8 | programming interface.</param>
    /// <param name="revision">Revision ID.</param>
    /// <param name="subsystemVendorId">Subsystem vendor ID.</param>
    /// <param name="subsystemId">Subsystem ID.</param>
    /// <param name="interruptPin">0 = no INTx, 1 = INTA … 4 = INTD.</param>
    public PciConfigSpace(ushort vendorId, ushort deviceId, uint classCode, byte revision = 0,
        ushort subsystemVendorId = 0, ushort subsystemId = 0, byte interruptPin = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCode, 0xFF_FFFFu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interruptPin, (byte)4);
        BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(VendorIdOffset), vendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(DeviceIdOffset), deviceId);
        _data[RevisionOffset] = revision;
        _data[ClassCodeOffset] = (byte)classCode;
        _data[ClassCodeOffset + 1] = (byte)(classCode >> 8);
        _data[ClassCodeOffset + 2] = (byte)(classCode >> 16);
        BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(SubsystemVendorIdOffset), subsystemVendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(SubsystemIdOffset), subsystemId);
        _data[InterruptPinOffset] = interruptPin;
        BinaryPrimitives.WriteUInt16LittleEndian(_writable.AsSpan(CommandOffset), CommandWritable);
        _writable[InterruptLineOffset] = 0xFF;
    }

    /// <summary>
    /// Raised after a write changed where a BAR is decoded: (bar, old address, new address), where 0 means "not
    /// decoded" (memory space disabled, or the BAR not yet placed).
    /// </summary>
    public event Action<int, ulong, ulong>? BarRelocated;

    /// <summary>The command register.</summary>
    public ushort Command => BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(CommandOffset));

    /// <summary>Whether the guest enabled memory decoding.</summary>
    public bool MemorySpaceEnabled => (Command & CommandMemorySpace) != 0;

    /// <summary>Whether the guest disabled INTx (command bit 10).</summary>
    public bool InterruptDisabled => (Command & CommandInterruptDisable) != 0;

    /// <summary>Reads <paramref name="data"/>.Length bytes at <paramref name="offset"/>; bytes past the end read as 0xFF.</summary>
    public void Read(int offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            int at = offset + i;
            data[i] = at is >= 0 and < Size ? _data[at] : (byte)0xFF;
        }
    }

    /// <summary>
    /// A guest write: only writable bits change, bytes past the end are dropped. Raises <see cref="BarRelocated"/> for
    /// each BAR whose decoded address changed.
    /// </summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            int at = offset + i;
            if (at is >= 0 and < Size)
            {
                byte mask = _writable[at];
                _data[at] = (byte)((_data[at] & ~mask) | (data[i] & mask));
            }
        }

        UpdateDecoding();
    }

    /// <summary>Reads a dword the device owns (no masking), e.g. a capability register.</summary>
    public uint ReadUInt32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(offset, 4));

    /// <summary>Reads a word the device owns.</summary>
    public ushort ReadUInt16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(offset, 2));

    /// <summary>Sets bytes as the device (not the guest), regardless of the writable mask.</summary>
    public void SetBytes(int offset, ReadOnlySpan<byte> value) => value.CopyTo(_data.AsSpan(offset));

    /// <summary>Makes bits of [<paramref name="offset"/>, +mask.Length) guest-writable (1 bits) or read-only (0 bits).</summary>
    public void SetWritableMask(int offset, ReadOnlySpan<byte> mask) => mask.CopyTo(_writable.AsSpan(offset));

    /// <summary>Declares BAR <paramref name="index"/> a 32-bit non-prefetchable memory BAR of <paramref name="size"/> bytes.</summary>
    /// <exception cref="ArgumentException">The size is not a power of two of at least 16 bytes, or the BAR is taken.</exception>
    public void AddMemoryBar(int index, uint size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BarCount);
        if (size < 16 || !uint.IsPow2(size))
        {
            throw new ArgumentException($"a memory BAR is a power of two of at least 16 bytes, not {size}", nameof(size));
        }

        if (_barSizes[index] != 0)
        {
            throw new ArgumentException($"BAR {index} is already declared", nameof(index));
        }

        _barSizes[index] = size;
        // Bits 3:0 are hard-wired (memory, 32-bit, non-prefetchable); the size's low bits read as zero (6.2.5.1).
        BinaryPrimitives.WriteUInt32LittleEndian(_writable.AsSpan(Bar0Offset + (4 * index)), ~(size - 1) & 0xFFFF_FFF0);
    }

    /// <summary>The size of BAR <paramref name="index"/> (0 = not implemented).</summary>
    public uint BarSize(int index) => _barSizes[index];

    /// <summary>The address programmed into BAR <paramref name="index"/>, whether or not it is decoded.</summary>
    public uint BarAddress(int index) => ReadUInt32(Bar0Offset + (4 * index)) & 0xFFFF_FFF0;

    /// <summary>Where BAR <paramref name="index"/> is decoded now, or 0 when it is not (memory space off, or unplaced).</summary>
    public ulong DecodedBarAddress(int index) => _decoded[index];

    /// <summary>
    /// Appends a capability: <paramref name="body"/> follows the ID and next-pointer bytes. Sets the status bit and
    /// links it at the end of the list.
    /// </summary>
    /// <returns>The capability's offset in configuration space.</returns>
    /// <exception cref="InvalidOperationException">The capability does not fit in the 256-byte space.</exception>
    public int AddCapability(byte id, ReadOnlySpan<byte> body)
    {
        int at = _nextCapability;
        int length = 2 + body.Length;
        if (at + length > Size)
        {
            throw new InvalidOperationException($"capability 0x{id:x2} ({length} bytes) does not fit in configuration space");
        }

        _data[at] = id;
        _data[at + 1] = 0;
        body.CopyTo(_data.AsSpan(at + 2));
        if (_lastCapability == 0)
        {
            _data[CapabilitiesPointerOffset] = (byte)at;
        }
        else
        {
            _data[_lastCapability + 1] = (byte)at;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(StatusOffset), (ushort)(ReadUInt16(StatusOffset) | StatusCapabilitiesList));
        _lastCapability = at;
        _nextCapability = (at + length + 3) & ~3; // capabilities are dword aligned (6.7)
        return at;
    }

    /// <summary>A copy of the 256 bytes.</summary>
    public PciConfigSpaceState SaveState() => new() { Data = [.. _data] };

    /// <summary>
    /// Applies the guest-writable bits of <paramref name="state"/> and raises <see cref="BarRelocated"/> for each BAR it
    /// places, so the bus and the VMM map it as after the guest's own writes.
    /// </summary>
    /// <exception cref="DeviceStateException">The state is not 256 bytes, or its read-only bits differ from this
    /// device's (it was saved from another device); nothing is changed then.</exception>
    public void RestoreState(PciConfigSpaceState state, string device)
    {
        Validate(state, device);
        for (int at = 0; at < Size; at++)
        {
            _data[at] = (byte)((_data[at] & ~_writable[at]) | (state.Data[at] & _writable[at]));
        }

        UpdateDecoding();
    }

    /// <summary>Checks <paramref name="state"/> as <see cref="RestoreState"/> does, without applying it.</summary>
    /// <exception cref="DeviceStateException">See <see cref="RestoreState"/>.</exception>
    public void Validate(PciConfigSpaceState state, string device)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] data = DeviceStateException.Present(state.Data, device, "Config.Data");
        DeviceStateException.Require(data.Length == Size, device, "Config.Data", $"is not {Size} bytes");
        for (int at = 0; at < Size; at++)
        {
            DeviceStateException.Require(((data[at] ^ _data[at]) & ~_writable[at]) == 0, device, $"Config.Data[0x{at:x2}]",
                "differs from the device in read-only bits (a state of another device?)");
        }
    }

    private void UpdateDecoding()
    {
        bool enabled = MemorySpaceEnabled;
        for (int bar = 0; bar < BarCount; bar++)
        {
            if (_barSizes[bar] == 0)
            {
                continue;
            }

            uint address = BarAddress(bar);
            ulong decoded = enabled ? address : 0;
            ulong old = _decoded[bar];
            if (decoded != old)
            {
                _decoded[bar] = decoded;
                BarRelocated?.Invoke(bar, old, decoded);
            }
        }
    }
}
