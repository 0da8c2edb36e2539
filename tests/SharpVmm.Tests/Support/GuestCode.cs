using Iced.Intel;

namespace SharpVmm.Tests.Support;

/// <summary>Assembles test guests with Iced.</summary>
public static class GuestCode
{
    public static byte[] Assemble(int bitness, ulong address, Action<Assembler> body)
    {
        var asm = new Assembler(bitness);
        body(asm);
        using var stream = new MemoryStream();
        asm.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }
}
