using System.Buffers.Binary;
using SharpVmm.Exits;

namespace SharpVmm.Tests.Support;

/// <summary>Guest memory for <see cref="InstructionEmulator"/> tests: one linear window of bytes, and an MXCSR.</summary>
public sealed class FakeEmulationEnvironment : IEmulationEnvironment
{
    public FakeEmulationEnvironment(ulong windowBase = 0x10000, int windowSize = 0x1000)
    {
        WindowBase = windowBase;
        Window = new byte[windowSize];
    }

    public ulong WindowBase { get; }

    public byte[] Window { get; }

    public uint Mxcsr { get; set; } = 0x1F80;

    public List<ulong> Reads { get; } = [];

    /// <summary>The linear addresses handed to <see cref="TryCompareExchange128"/>, in order.</summary>
    public List<ulong> CompareExchanges { get; } = [];

    public void Put(ulong linearAddress, params byte[] bytes) => bytes.CopyTo(Window, (int)(linearAddress - WindowBase));

    public bool TryReadLinear(ulong linearAddress, Span<byte> destination)
    {
        Reads.Add(linearAddress);
        if (linearAddress < WindowBase || linearAddress - WindowBase + (ulong)destination.Length > (ulong)Window.Length)
        {
            return false;
        }

        Window.AsSpan((int)(linearAddress - WindowBase), destination.Length).CopyTo(destination);
        return true;
    }

    public bool TryCompareExchange128(ulong linearAddress, ref UInt128 expected, UInt128 desired, out bool exchanged)
    {
        // One thread at a time touches the fake, so a plain read-compare-write is atomic enough here.
        CompareExchanges.Add(linearAddress);
        exchanged = false;
        if (linearAddress < WindowBase || linearAddress - WindowBase + 16 > (ulong)Window.Length)
        {
            return false;
        }

        Span<byte> bytes = Window.AsSpan((int)(linearAddress - WindowBase), 16);
        UInt128 current = BinaryPrimitives.ReadUInt128LittleEndian(bytes);
        exchanged = current == expected;
        if (exchanged)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(bytes, desired);
        }
        else
        {
            expected = current;
        }

        return true;
    }

    public uint ReadMxcsr() => Mxcsr;
}
