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

    public uint ReadMxcsr() => Mxcsr;
}
