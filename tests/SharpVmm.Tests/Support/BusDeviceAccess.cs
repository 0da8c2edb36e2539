using System.Buffers.Binary;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Tests.Support;

/// <summary>Guest register accesses of 1, 2 and 4 bytes (little-endian) to a bus device, as a vCPU makes them.</summary>
internal static class BusDeviceAccess
{
    public static byte In8(this IBusDevice device, ulong offset) => (byte)In(device, offset, 1);

    public static ushort In16(this IBusDevice device, ulong offset) => (ushort)In(device, offset, 2);

    public static uint In32(this IBusDevice device, ulong offset) => In(device, offset, 4);

    public static void Out8(this IBusDevice device, ulong offset, byte value) => Out(device, offset, 1, value);

    public static void Out16(this IBusDevice device, ulong offset, ushort value) => Out(device, offset, 2, value);

    public static void Out32(this IBusDevice device, ulong offset, uint value) => Out(device, offset, 4, value);

    private static uint In(IBusDevice device, ulong offset, int width)
    {
        Span<byte> data = stackalloc byte[4];
        data.Clear();
        device.Read(offset, data[..width]);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private static void Out(IBusDevice device, ulong offset, int width, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        device.Write(offset, data[..width]);
    }
}
