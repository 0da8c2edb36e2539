using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_lapic_state</c>: the local APIC's 1 KiB register page.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmLapicState
{
    /// <summary>Register page, laid out as in the APIC's MMIO window.</summary>
    public fixed byte Regs[1024];

    /// <summary>Reads the 32-bit register at <paramref name="offset"/> (a multiple of 16 below 0x400).</summary>
    public readonly uint GetRegister(int offset)
    {
        CheckOffset(offset);
        // SAFETY: offset + 4 <= 1024 was checked, and the fixed buffer lives as long as this struct.
        fixed (byte* regs = Regs)
        {
            return *(uint*)(regs + offset);
        }
    }

    /// <summary>Writes the 32-bit register at <paramref name="offset"/> (a multiple of 16 below 0x400).</summary>
    public void SetRegister(int offset, uint value)
    {
        CheckOffset(offset);
        // SAFETY: offset + 4 <= 1024 was checked, and the fixed buffer lives as long as this struct.
        fixed (byte* regs = Regs)
        {
            *(uint*)(regs + offset) = value;
        }
    }

    private static void CheckOffset(int offset)
    {
        if (offset < 0 || offset > 1024 - 16 || offset % 16 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "APIC registers sit at 16-byte steps below 0x400");
        }
    }
}
