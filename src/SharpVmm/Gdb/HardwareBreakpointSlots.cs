namespace SharpVmm.Gdb;

/// <summary>
/// The four x86 debug-address registers (DR0-DR3) holding gdb's hardware breakpoints and watchpoints, and the DR7
/// value that enables them (Intel SDM vol. 3, 18.2). Instruction breakpoints use length 1; a watchpoint covers 1, 2, 4
/// or 8 bytes aligned to its length. Not thread-safe: <see cref="GuestDebugger"/> holds its lock around it.
/// </summary>
public sealed class HardwareBreakpointSlots
{
    /// <summary>Debug-address registers on x86.</summary>
    public const int Count = 4;

    // DR7: bit 10 always reads as 1; GE (bit 9) asks for exact data breakpoints, as debuggers set it.
    private const ulong Dr7Fixed = 1UL << 10 | 1UL << 9;

    private readonly HardwareBreakpoint?[] _slots = new HardwareBreakpoint?[Count];

    /// <summary>Whether no slot is in use.</summary>
    public bool IsEmpty => Array.TrueForAll(_slots, s => s is null);

    /// <summary>The address in DR<paramref name="slot"/>, 0 for a free slot.</summary>
    public ulong Address(int slot) => _slots[slot]?.Address ?? 0;

    /// <summary>DR7 for the slots in use: each globally enabled with its condition and length; 0 when none is.</summary>
    public ulong Dr7
    {
        get
        {
            ulong dr7 = 0;
            foreach (HardwareBreakpoint? slot in _slots)
            {
                if (slot is { } bp)
                {
                    dr7 |= 2UL << (bp.Slot * 2) | Condition(bp.Type) << (16 + (bp.Slot * 4)) | LengthCode(bp) << (18 + (bp.Slot * 4));
                }
            }

            return dr7 == 0 ? 0 : dr7 | Dr7Fixed;
        }
    }

    /// <summary>
    /// Takes a free slot for a breakpoint (<see cref="GdbBreakpointType.Hardware"/>) or a write or access watchpoint of
    /// <paramref name="length"/> bytes at <paramref name="address"/>. False when every slot is taken, or for a type, a
    /// length or an alignment the debug registers cannot express. Adding one that is already there succeeds.
    /// </summary>
    public bool Add(GdbBreakpointType type, ulong address, int length)
    {
        if (!IsExpressible(type, address, length))
        {
            return false;
        }

        int length1 = LengthOf(type, length);
        int free = -1;
        for (int i = 0; i < Count; i++)
        {
            if (_slots[i] is { } bp && bp.Type == type && bp.Address == address && bp.Length == length1)
            {
                return true;
            }

            if (_slots[i] is null && free < 0)
            {
                free = i;
            }
        }

        if (free < 0)
        {
            return false;
        }

        _slots[free] = new HardwareBreakpoint(type, address, length1, free);
        return true;
    }

    /// <summary>Frees the slot holding this breakpoint or watchpoint; false when none does.</summary>
    public bool Remove(GdbBreakpointType type, ulong address, int length)
    {
        int length1 = LengthOf(type, length);
        for (int i = 0; i < Count; i++)
        {
            if (_slots[i] is { } bp && bp.Type == type && bp.Address == address && bp.Length == length1)
            {
                _slots[i] = null;
                return true;
            }
        }

        return false;
    }

    /// <summary>Frees every slot.</summary>
    public void Clear() => Array.Clear(_slots);

    /// <summary>The slot that DR6 (its B0-B3 bits) says was hit, lowest first; null when none in use was.</summary>
    public HardwareBreakpoint? Hit(ulong dr6)
    {
        for (int i = 0; i < Count; i++)
        {
            if ((dr6 & (1UL << i)) != 0 && _slots[i] is { } bp)
            {
                return bp;
            }
        }

        return null;
    }

    // gdb's kind for an x86 instruction breakpoint is the breakpoint's size; the debug register covers one byte.
    private static int LengthOf(GdbBreakpointType type, int length) => type == GdbBreakpointType.Hardware ? 1 : length;

    private static bool IsExpressible(GdbBreakpointType type, ulong address, int length) => type switch
    {
        GdbBreakpointType.Hardware => true, // gdb's kind for x86 is the breakpoint's size, 1; the register needs length 1
        GdbBreakpointType.WriteWatchpoint or GdbBreakpointType.AccessWatchpoint =>
            length is 1 or 2 or 4 or 8 && address % (ulong)length == 0,
        _ => false,
    };

    // R/W bits: 00 instruction, 01 data write, 11 data read or write.
    private static ulong Condition(GdbBreakpointType type) => type switch
    {
        GdbBreakpointType.WriteWatchpoint => 0b01,
        GdbBreakpointType.AccessWatchpoint => 0b11,
        _ => 0b00,
    };

    // LEN bits: 00 one byte, 01 two, 11 four, 10 eight; instruction breakpoints must use 00.
    private static ulong LengthCode(HardwareBreakpoint bp) => bp.Type == GdbBreakpointType.Hardware ? 0UL : bp.Length switch
    {
        2 => 0b01UL,
        4 => 0b11UL,
        8 => 0b10UL,
        _ => 0b00UL,
    };
}
