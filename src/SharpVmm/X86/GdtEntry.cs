using SharpVmm.Kvm.Structs;

namespace SharpVmm.X86;

/// <summary>Encodes 8-byte segment descriptors and the matching <see cref="KvmSegment"/> (Intel SDM vol. 3A, 3.4.5).</summary>
public static class GdtEntry
{
    /// <summary>Access byte of a present, ring-0, execute/read, accessed code segment.</summary>
    public const byte CodeAccess = 0x9B;
    /// <summary>Access byte of a present, ring-0, read/write, accessed data segment.</summary>
    public const byte DataAccess = 0x93;
    /// <summary>Access byte of a present 32/64-bit busy TSS.</summary>
    public const byte BusyTssAccess = 0x8B;

    /// <summary>Flags nibble: 4 KiB granularity, 32-bit default size.</summary>
    public const byte Flags32 = 0xC;
    /// <summary>Flags nibble: 4 KiB granularity, 64-bit code.</summary>
    public const byte Flags64 = 0xA;

    /// <summary>Packs a descriptor from base, limit (20 bits), access byte and flags nibble.</summary>
    public static ulong Encode(uint baseAddress, uint limit, byte access, byte flags) =>
        ((ulong)(baseAddress & 0xFF000000) << 32)
        | ((ulong)(flags & 0xF) << 52)
        | ((ulong)(limit & 0x000F0000) << 32)
        | ((ulong)access << 40)
        | ((ulong)(baseAddress & 0x00FFFFFF) << 16)
        | (limit & 0xFFFF);

    /// <summary>The hidden-cache form KVM wants for the descriptor <paramref name="descriptor"/> loaded with <paramref name="selector"/>.</summary>
    public static KvmSegment ToSegment(ulong descriptor, ushort selector)
    {
        uint limit = (uint)((descriptor & 0xFFFF) | ((descriptor >> 32) & 0xF0000));
        byte flags = (byte)((descriptor >> 52) & 0xF);
        byte access = (byte)(descriptor >> 40);
        bool granular = (flags & 0x8) != 0;
        return new KvmSegment
        {
            Base = ((descriptor >> 16) & 0xFFFFFF) | ((descriptor >> 32) & 0xFF000000),
            Limit = granular ? (limit << 12) | 0xFFF : limit,
            Selector = selector,
            Type = (byte)(access & 0xF),
            S = (byte)((access >> 4) & 1),
            Dpl = (byte)((access >> 5) & 3),
            Present = (byte)(access >> 7),
            Avl = (byte)(flags & 1),
            L = (byte)((flags >> 1) & 1),
            Db = (byte)((flags >> 2) & 1),
            G = granular ? (byte)1 : (byte)0,
        };
    }
}
