using System.Buffers.Binary;
using SharpVmm.Devices.Firmware;

namespace SharpVmm.Tests.Support;

/// <summary>Reads fw_cfg items the way a guest does: a 16-bit selector write, then byte reads of the data register.</summary>
public static class FwCfgReader
{
    /// <summary>Selects <paramref name="key"/> (an <c>outw</c> to the selector port).</summary>
    public static void Select(FwCfgDevice fw, ushort key)
    {
        Span<byte> value = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(value, key);
        fw.Write(FwCfgDevice.SelectorOffset, value);
    }

    /// <summary>One byte read at <paramref name="offset"/> (the data register unless told).</summary>
    public static byte ReadByte(FwCfgDevice fw, ulong offset = FwCfgDevice.DataOffset)
    {
        Span<byte> b = [0xAA];
        fw.Read(offset, b);
        return b[0];
    }

    /// <summary><paramref name="count"/> byte reads of the data register.</summary>
    public static byte[] ReadBytes(FwCfgDevice fw, int count)
    {
        byte[] bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            bytes[i] = ReadByte(fw);
        }

        return bytes;
    }

    /// <summary>Selects <paramref name="key"/> and reads its first <paramref name="count"/> bytes.</summary>
    public static byte[] ReadItem(FwCfgDevice fw, ushort key, int count)
    {
        Select(fw, key);
        return ReadBytes(fw, count);
    }
}
