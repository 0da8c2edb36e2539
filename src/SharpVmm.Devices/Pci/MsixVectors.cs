using System.Buffers.Binary;

namespace SharpVmm.Devices.Pci;

/// <summary>
/// MSI-X (PCI Local Bus 3.0, 6.8.2): the capability's Message Control (table size, Function Mask, MSI-X Enable), the
/// vector table (16 bytes per entry: message address low and high, message data, vector control with its mask bit)
/// and the pending bit array, both living in a BAR the owning device routes here. <see cref="Signal"/> sends a vector's
/// message when MSI-X is enabled and neither the function nor the entry is masked; while masked it sets the pending
/// bit, and the message goes out when the mask is cleared. Thread-safe.
/// </summary>
public sealed class MsixVectors
{
    /// <summary>Capability ID of MSI-X (PCI Code and ID Assignment, 0x11).</summary>
    public const byte CapabilityId = 0x11;

    /// <summary>Bytes per table entry (6.8.2.6).</summary>
    public const int EntrySize = 16;

    /// <summary>Message Control bit 15: MSI-X Enable.</summary>
    public const ushort ControlEnable = 1 << 15;

    /// <summary>Message Control bit 14: Function Mask.</summary>
    public const ushort ControlFunctionMask = 1 << 14;

    /// <summary>Vector Control bit 0: Mask Bit (6.8.2.9).</summary>
    public const uint VectorControlMask = 1;

    /// <summary>The largest table (Table Size is 11 bits, N-1 encoded).</summary>
    public const int MaxVectors = 2048;

    private const int AddressLow = 0, AddressHigh = 4, MessageData = 8, VectorControl = 12;

    private readonly Lock _lock = new();
    private readonly IMsiSink _sink;
    private readonly byte[] _table;
    private readonly ulong[] _pending;
    private int _capabilityOffset = -1;
    private long _sent;

    /// <summary>Creates a table of <paramref name="count"/> vectors, each masked, delivering to <paramref name="sink"/>.</summary>
    public MsixVectors(int count, IMsiSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxVectors);
        _sink = sink;
        Count = count;
        _table = new byte[count * EntrySize];
        _pending = new ulong[(count + 63) / 64];
        for (int v = 0; v < count; v++)
        {
            _table[(v * EntrySize) + VectorControl] = (byte)VectorControlMask;
        }
    }

    /// <summary>
    /// Raised (outside any lock) when the guest changed a table entry or the capability's enable/mask state changed
    /// (then with vector -1), so a VMM can re-route an irqfd per vector.
    /// </summary>
    public event Action<int>? VectorChanged;

    /// <summary>Number of vectors.</summary>
    public int Count { get; }

    /// <summary>Size in bytes of the vector table.</summary>
    public int TableSize => Count * EntrySize;

    /// <summary>Size in bytes of the pending bit array (whole qwords).</summary>
    public int PbaSize => _pending.Length * sizeof(ulong);

    /// <summary>Whether the guest set MSI-X Enable.</summary>
    public bool Enabled { get; private set; }

    /// <summary>Whether the guest set Function Mask.</summary>
    public bool FunctionMasked { get; private set; }

    /// <summary>Number of messages sent.</summary>
    public long MessagesSent => Interlocked.Read(ref _sent);

    /// <summary>
    /// Adds the MSI-X capability to <paramref name="config"/>: the table at <paramref name="tableOffset"/> of BAR
    /// <paramref name="tableBar"/>, the PBA at <paramref name="pbaOffset"/> of BAR <paramref name="pbaBar"/>
    /// (offsets 8-byte aligned). Enable and Function Mask become guest-writable.
    /// </summary>
    /// <returns>The capability's offset.</returns>
    public int AddCapability(PciConfigSpace config, int tableBar, uint tableOffset, int pbaBar, uint pbaOffset)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (tableOffset % 8 != 0 || pbaOffset % 8 != 0 || tableBar is < 0 or > 5 || pbaBar is < 0 or > 5)
        {
            throw new ArgumentException("the MSI-X table and PBA need a BAR (0-5) and a qword-aligned offset");
        }

        Span<byte> body = stackalloc byte[10];
        BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)(Count - 1));
        BinaryPrimitives.WriteUInt32LittleEndian(body[2..], tableOffset | (uint)tableBar);
        BinaryPrimitives.WriteUInt32LittleEndian(body[6..], pbaOffset | (uint)pbaBar);
        int at = config.AddCapability(CapabilityId, body);
        config.SetWritableMask(at + 2, [0x00, (byte)((ControlEnable | ControlFunctionMask) >> 8)]);
        _capabilityOffset = at;
        return at;
    }

    /// <summary>
    /// Picks up Enable and Function Mask from the capability in <paramref name="config"/> after a guest configuration
    /// write; pending vectors whose masks are now clear are sent.
    /// </summary>
    public void UpdateFromConfig(PciConfigSpace config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (_capabilityOffset < 0)
        {
            return;
        }

        ushort control = config.ReadUInt16(_capabilityOffset + 2);
        bool changed;
        lock (_lock)
        {
            bool enabled = (control & ControlEnable) != 0;
            bool masked = (control & ControlFunctionMask) != 0;
            changed = enabled != Enabled || masked != FunctionMasked;
            Enabled = enabled;
            FunctionMasked = masked;
            if (changed)
            {
                DeliverPendingLocked();
            }
        }

        if (changed)
        {
            VectorChanged?.Invoke(-1);
        }
    }

    /// <summary>The message vector <paramref name="vector"/> sends.</summary>
    public MsiMessage Message(int vector)
    {
        lock (_lock)
        {
            ReadOnlySpan<byte> e = Entry(vector);
            ulong address = BinaryPrimitives.ReadUInt32LittleEndian(e[AddressLow..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(e[AddressHigh..]) << 32);
            return new MsiMessage(address, BinaryPrimitives.ReadUInt32LittleEndian(e[MessageData..]));
        }
    }

    /// <summary>Whether entry <paramref name="vector"/>'s mask bit is set.</summary>
    public bool IsMasked(int vector)
    {
        lock (_lock)
        {
            return EntryMasked(vector);
        }
    }

    /// <summary>Whether vector <paramref name="vector"/>'s pending bit is set.</summary>
    public bool IsPending(int vector)
    {
        lock (_lock)
        {
            return (_pending[vector / 64] & (1UL << (vector % 64))) != 0;
        }
    }

    /// <summary>
    /// Raises vector <paramref name="vector"/>: sent when enabled and unmasked, made pending when masked.
    /// </summary>
    /// <returns>False when MSI-X is disabled or the vector does not exist (nothing is sent or recorded).</returns>
    public bool Signal(int vector)
    {
        lock (_lock)
        {
            if (!Enabled || (uint)vector >= (uint)Count)
            {
                return false;
            }

            if (FunctionMasked || EntryMasked(vector))
            {
                _pending[vector / 64] |= 1UL << (vector % 64);
                return true;
            }

            SendLocked(vector);
            return true;
        }
    }

    /// <summary>A guest read of the vector table (any size and alignment; bytes past the end read as 0).</summary>
    public void ReadTable(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                data[i] = at < (ulong)_table.Length ? _table[at] : (byte)0;
            }
        }
    }

    /// <summary>A guest write to the vector table; reserved Vector Control bits stay 0, bytes past the end are dropped.</summary>
    public void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= (ulong)_table.Length)
        {
            return;
        }

        int first = (int)offset / EntrySize;
        int last = first;
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                if (at >= (ulong)_table.Length)
                {
                    break;
                }

                int inEntry = (int)(at % EntrySize);
                byte value = data[i];
                if (inEntry >= VectorControl)
                {
                    value = inEntry == VectorControl ? (byte)(value & VectorControlMask) : (byte)0;
                }

                _table[at] = value;
                last = (int)(at / EntrySize);
            }

            if (Enabled && !FunctionMasked)
            {
                for (int v = first; v <= last; v++)
                {
                    DeliverIfPendingLocked(v);
                }
            }
        }

        for (int v = first; v <= last; v++)
        {
            VectorChanged?.Invoke(v);
        }
    }

    /// <summary>A guest read of the pending bit array (bytes past the end read as 0).</summary>
    public void ReadPba(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                data[i] = at < (ulong)PbaSize ? (byte)(_pending[(int)(at / 8)] >> (int)(8 * (at % 8))) : (byte)0;
            }
        }
    }

    /// <summary>The table, the pending bits, Enable and Function Mask.</summary>
    public MsixVectorsState SaveState()
    {
        lock (_lock)
        {
            return new MsixVectorsState { Table = [.. _table], PendingBits = [.. _pending], Enabled = Enabled, FunctionMasked = FunctionMasked };
        }
    }

    /// <summary>
    /// Puts the vectors in <paramref name="state"/>: pending vectors stay pending (the guest sees them in the PBA) and
    /// nothing is sent. Raises <see cref="VectorChanged"/> with -1, so a VMM routes its per-vector irqfds again.
    /// </summary>
    /// <exception cref="DeviceStateException">A size does not match this table, a reserved bit is set, or a pending
    /// bit names no vector; nothing is changed then.</exception>
    public void RestoreState(MsixVectorsState state, string device)
    {
        Validate(state, device);
        lock (_lock)
        {
            state.Table.CopyTo(_table, 0);
            state.PendingBits.CopyTo(_pending, 0);
            Enabled = state.Enabled;
            FunctionMasked = state.FunctionMasked;
        }

        VectorChanged?.Invoke(-1);
    }

    /// <summary>Checks <paramref name="state"/> as <see cref="RestoreState"/> does, without applying it.</summary>
    /// <exception cref="DeviceStateException">See <see cref="RestoreState"/>.</exception>
    public void Validate(MsixVectorsState state, string device)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] table = DeviceStateException.Present(state.Table, device, "Msix.Table");
        ulong[] pending = DeviceStateException.Present(state.PendingBits, device, "Msix.PendingBits");
        DeviceStateException.Require(table.Length == _table.Length, device, "Msix.Table", $"is not {_table.Length} bytes");
        DeviceStateException.Require(pending.Length == _pending.Length, device, "Msix.PendingBits", $"is not {_pending.Length} words");
        for (int v = 0; v < Count; v++)
        {
            DeviceStateException.Require(
                BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan((v * EntrySize) + VectorControl)) <= VectorControlMask,
                device, $"Msix.Table vector {v}", "has reserved Vector Control bits set");
        }

        int tail = Count % 64;
        DeviceStateException.Require(tail == 0 || (pending[^1] >> tail) == 0, device, "Msix.PendingBits", $"has bits beyond vector {Count - 1}");
    }

    private Span<byte> Entry(int vector) => _table.AsSpan(vector * EntrySize, EntrySize);

    private bool EntryMasked(int vector) => (_table[(vector * EntrySize) + VectorControl] & VectorControlMask) != 0;

    private void DeliverPendingLocked()
    {
        if (!Enabled || FunctionMasked)
        {
            return;
        }

        for (int v = 0; v < Count; v++)
        {
            DeliverIfPendingLocked(v);
        }
    }

    private void DeliverIfPendingLocked(int vector)
    {
        ulong bit = 1UL << (vector % 64);
        if ((_pending[vector / 64] & bit) != 0 && !EntryMasked(vector))
        {
            _pending[vector / 64] &= ~bit;
            SendLocked(vector);
        }
    }

    private void SendLocked(int vector)
    {
        ReadOnlySpan<byte> e = Entry(vector);
        ulong address = BinaryPrimitives.ReadUInt32LittleEndian(e[AddressLow..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(e[AddressHigh..]) << 32);
        _sink.Send(new MsiMessage(address, BinaryPrimitives.ReadUInt32LittleEndian(e[MessageData..])));
        Interlocked.Increment(ref _sent);
    }
}
