using System.Buffers.Binary;
using SharpVmm.Exits;

namespace SharpVmm.Fuzz;

/// <summary>
/// Guest state for the instruction emulator target: one window of linear memory the input fills (everything else
/// unmapped) and an MXCSR. Holds <see cref="InstructionEmulator"/> to its side of the contract: cmpxchg16b only at a
/// 16-byte aligned address.
/// </summary>
public sealed class WindowEmulationEnvironment : IEmulationEnvironment
{
    /// <summary>Where the window starts.</summary>
    public const ulong WindowBase = 0x1000;

    private readonly byte[] _window = new byte[4096];

    /// <summary>The vCPU's MXCSR.</summary>
    public uint Mxcsr { get; set; }

    /// <summary>Sets the window's contents from <paramref name="bytes"/> (zeros past its end).</summary>
    public void Fill(ReadOnlySpan<byte> bytes)
    {
        _window.AsSpan().Clear();
        bytes[..Math.Min(bytes.Length, _window.Length)].CopyTo(_window);
    }

    /// <inheritdoc />
    public bool TryReadLinear(ulong linearAddress, Span<byte> destination)
    {
        if (!Inside(linearAddress, destination.Length))
        {
            return false;
        }

        _window.AsSpan((int)(linearAddress - WindowBase), destination.Length).CopyTo(destination);
        return true;
    }

    /// <inheritdoc />
    public bool TryCompareExchange128(ulong linearAddress, ref UInt128 expected, UInt128 desired, out bool exchanged)
    {
        if (linearAddress % 16 != 0)
        {
            throw new FuzzFindingException($"cmpxchg16b asked for at the unaligned address 0x{linearAddress:x}");
        }

        exchanged = false;
        if (!Inside(linearAddress, 16))
        {
            return false;
        }

        Span<byte> target = _window.AsSpan((int)(linearAddress - WindowBase), 16);
        UInt128 found = BinaryPrimitives.ReadUInt128LittleEndian(target);
        if (found != expected)
        {
            expected = found;
            return true;
        }

        BinaryPrimitives.WriteUInt128LittleEndian(target, desired);
        exchanged = true;
        return true;
    }

    /// <inheritdoc />
    public uint ReadMxcsr() => Mxcsr;

    private bool Inside(ulong address, int length) =>
        address >= WindowBase && address - WindowBase <= (ulong)_window.Length && (ulong)length <= (ulong)_window.Length - (address - WindowBase);
}
