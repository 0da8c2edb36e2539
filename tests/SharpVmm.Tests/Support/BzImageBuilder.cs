using System.Buffers.Binary;

namespace SharpVmm.Tests.Support;

/// <summary>Builds a synthetic bzImage: boot sector, setup header with HdrS, setup sectors, and a patterned protected-mode part.</summary>
internal sealed class BzImageBuilder
{
    public byte SetupSectors { get; set; } = 4;
    public ushort Version { get; set; } = 0x020F;
    public byte LoadFlags { get; set; } = 0x01;
    public ushort XLoadFlags { get; set; } = 0x03;
    public uint KernelAlignment { get; set; } = 0x20_0000;
    public bool Relocatable { get; set; } = true;
    public uint CommandLineSize { get; set; } = 2047;
    public uint InitrdAddressMax { get; set; } = 0x7FFF_FFFF;
    public ulong PreferredAddress { get; set; } = 0x100_0000;
    public uint InitSize { get; set; } = 0x10_0000;
    public int ProtectedModeSize { get; set; } = 0x3000;
    public byte HeaderLengthByte { get; set; } = 0x6A; // header ends at 0x202 + 0x6a = 0x26c

    public int ProtectedModeOffset => ((SetupSectors == 0 ? 4 : SetupSectors) + 1) * 512;

    public byte[] Build()
    {
        byte[] image = new byte[ProtectedModeOffset + ProtectedModeSize];
        Span<byte> s = image;
        s[0x1F1] = SetupSectors;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x1F4..], (uint)((ProtectedModeSize + 15) / 16));
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1FA..], 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1FE..], 0xAA55);
        s[0x200] = 0xEB;
        s[0x201] = HeaderLengthByte;
        "HdrS"u8.CopyTo(s[0x202..]);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x206..], Version);
        s[0x211] = LoadFlags;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x214..], 0x10_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x22C..], InitrdAddressMax);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x230..], KernelAlignment);
        s[0x234] = Relocatable ? (byte)1 : (byte)0;
        s[0x235] = 21;
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x236..], XLoadFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x238..], CommandLineSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x248..], 0x100);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x24C..], (uint)Math.Max(0, ProtectedModeSize - 0x200));
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x258..], PreferredAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x260..], InitSize);
        for (int i = 0; i < ProtectedModeSize; i++)
        {
            image[ProtectedModeOffset + i] = (byte)(i * 7 + 3);
        }

        return image;
    }
}
