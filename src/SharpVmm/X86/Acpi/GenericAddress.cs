using System.Buffers.Binary;
using System.Numerics;

namespace SharpVmm.X86.Acpi;

/// <summary>A Generic Address Structure (ACPI 6.4 section 5.2.3.2): where a register is and how wide it is.</summary>
/// <param name="AddressSpace">Address Space ID: <see cref="SystemIo"/> for a port.</param>
/// <param name="BitWidth">Register Bit Width.</param>
/// <param name="AccessSize">Access Size: 1 byte, 2 word, 3 dword, 4 qword; 0 undefined.</param>
/// <param name="Address">The register's address in its space.</param>
internal readonly record struct GenericAddress(byte AddressSpace, byte BitWidth, byte AccessSize, ulong Address)
{
    /// <summary>Size of the structure in bytes.</summary>
    public const int Size = 12;

    /// <summary>Address Space ID of system I/O space (ACPI 6.4 table 5.1).</summary>
    public const byte SystemIo = 1;

    /// <summary>A register of <paramref name="length"/> bytes at I/O <paramref name="port"/>, accessed <paramref name="accessBytes"/> at a time.</summary>
    public static GenericAddress Io(ushort port, int length, int accessBytes) =>
        new(SystemIo, (byte)(length * 8), (byte)(BitOperations.Log2((uint)accessBytes) + 1), port);

    /// <summary>Writes the structure at the start of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = AddressSpace;
        destination[1] = BitWidth;
        destination[2] = 0; // Register Bit Offset
        destination[3] = AccessSize;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], Address);
    }
}
