using System.Buffers.Binary;
using System.Text;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// A small AML encoder (ACPI 6.4 chapter 20): the terms the DSDT needs, each returned as the bytes of one complete term,
/// so objects nest by concatenation.
/// </summary>
internal static class AmlEncoder
{
    // Opcodes (ACPI 6.4, 20.2).
    private const byte ZeroOp = 0x00, OneOp = 0x01, NameOp = 0x08, BytePrefix = 0x0A, WordPrefix = 0x0B, DWordPrefix = 0x0C;
    private const byte QWordPrefix = 0x0E, ScopeOp = 0x10, BufferOp = 0x11, PackageOp = 0x12, ExtOpPrefix = 0x5B, DeviceOp = 0x82;
    private const byte RootChar = 0x5C, DualNamePrefix = 0x2E, OnesOp = 0xFF;

    /// <summary>
    /// PkgLength (20.2.4): the length of the package including the PkgLength bytes themselves, in 1 to 4 bytes, the
    /// first byte holding the count of following bytes in bits 7:6.
    /// </summary>
    public static byte[] PkgLength(int bodyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        if (bodyLength + 1 <= 0x3F)
        {
            return [(byte)(bodyLength + 1)];
        }

        for (int extra = 1; extra <= 3; extra++)
        {
            int total = bodyLength + 1 + extra;
            if (total < 1 << (4 + (8 * extra)))
            {
                byte[] encoded = new byte[1 + extra];
                encoded[0] = (byte)((extra << 6) | (total & 0x0F));
                for (int i = 1; i <= extra; i++)
                {
                    encoded[i] = (byte)(total >> (4 + (8 * (i - 1))));
                }

                return encoded;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(bodyLength), "an AML package is at most 2^28 bytes");
    }

    /// <summary>
    /// A NameString (20.2.2): an optional leading <c>\</c>, then one or two 4-character segments (shorter ones padded
    /// with '_'), separated by '.' in <paramref name="path"/>.
    /// </summary>
    public static byte[] NameString(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = new List<byte>();
        if (path.StartsWith('\\'))
        {
            bytes.Add(RootChar);
            path = path[1..];
        }

        string[] segments = path.Split('.');
        if (segments.Length is < 1 or > 2 || segments.Any(s => s.Length is < 1 or > 4))
        {
            throw new ArgumentException($"'{path}' is not one or two name segments of 1-4 characters", nameof(path));
        }

        if (segments.Length == 2)
        {
            bytes.Add(DualNamePrefix);
        }

        foreach (string segment in segments)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(segment.PadRight(4, '_')));
        }

        return [.. bytes];
    }

    /// <summary>An Integer in its shortest encoding: Zero, One, Ones, or a Byte/Word/DWord/QWord constant.</summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        ulong.MaxValue => [OnesOp],
        <= byte.MaxValue => [BytePrefix, (byte)value],
        <= ushort.MaxValue => [WordPrefix, (byte)value, (byte)(value >> 8)],
        <= uint.MaxValue => [DWordPrefix, .. BitConverter.GetBytes((uint)value)],
        _ => [QWordPrefix, .. BitConverter.GetBytes(value)],
    };

    /// <summary>
    /// EISAID("ABC1234") (19.6.35): three upper-case letters packed 5 bits each, then four hex digits, as a DWord
    /// constant in the byte order the macro gives.
    /// </summary>
    public static byte[] EisaId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length != 7 || !id[..3].All(char.IsAsciiLetterUpper) || !id[3..].All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{id}' is not an EISA ID (three letters, four hex digits)", nameof(id));
        }

        int vendor = ((id[0] - 0x40) << 10) | ((id[1] - 0x40) << 5) | (id[2] - 0x40);
        int product = Convert.ToInt32(id[3..], 16);
        byte[] bytes = [(byte)(vendor >> 8), (byte)vendor, (byte)(product >> 8), (byte)product];
        return [DWordPrefix, .. bytes];
    }

    /// <summary><c>Name (name, object)</c>.</summary>
    public static byte[] Name(string name, byte[] dataObject) => [NameOp, .. NameString(name), .. dataObject];

    /// <summary><c>Scope (name) { terms }</c>.</summary>
    public static byte[] Scope(string name, params byte[][] terms)
    {
        byte[] body = [.. NameString(name), .. terms.SelectMany(t => t)];
        return [ScopeOp, .. PkgLength(body.Length), .. body];
    }

    /// <summary><c>Device (name) { terms }</c>.</summary>
    public static byte[] Device(string name, params byte[][] terms)
    {
        byte[] body = [.. NameString(name), .. terms.SelectMany(t => t)];
        return [ExtOpPrefix, DeviceOp, .. PkgLength(body.Length), .. body];
    }

    /// <summary><c>Package (n) { elements }</c> (at most 255 elements).</summary>
    public static byte[] Package(params byte[][] elements)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elements.Length, 255);
        byte[] body = [(byte)elements.Length, .. elements.SelectMany(e => e)];
        return [PackageOp, .. PkgLength(body.Length), .. body];
    }

    /// <summary><c>Buffer (n) { bytes }</c>.</summary>
    public static byte[] Buffer(ReadOnlySpan<byte> contents)
    {
        byte[] body = [.. Integer((ulong)contents.Length), .. contents];
        return [BufferOp, .. PkgLength(body.Length), .. body];
    }

    /// <summary>
    /// <c>ResourceTemplate () { descriptors }</c>: a Buffer of the descriptors followed by an End Tag (6.4.2.9) whose
    /// checksum 0 means "treat as valid".
    /// </summary>
    public static byte[] ResourceTemplate(params byte[][] descriptors) => Buffer([.. descriptors.SelectMany(d => d), 0x79, 0x00]);

    /// <summary>WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode) for [min, max] (6.4.3.5.3).</summary>
    public static byte[] WordBusNumber(ushort min, ushort max) => WordAddressSpace(resourceType: 2, typeFlags: 0, min, max);

    /// <summary>WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange) for [min, max] (6.4.3.5.3).</summary>
    public static byte[] WordIo(ushort min, ushort max) => WordAddressSpace(resourceType: 1, typeFlags: 0x03, min, max);

    /// <summary>IO (Decode16, base, base, 1, length): a fixed range of ports (6.4.2.5).</summary>
    public static byte[] Io(ushort port, byte length) =>
        [0x47, 0x01, (byte)port, (byte)(port >> 8), (byte)port, (byte)(port >> 8), 0x01, length];

    /// <summary>
    /// DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite) for [min, max] (6.4.3.5.2).
    /// </summary>
    public static byte[] DWordMemory(uint min, uint max)
    {
        byte[] d = new byte[3 + 23];
        d[0] = 0x87;                       // large item, DWord Address Space Descriptor
        d[1] = 23;                         // length
        d[3] = 0;                          // resource type: memory
        d[4] = 0x0C;                       // general flags: MaxFixed, MinFixed, PosDecode, producer
        d[5] = 0x01;                       // ReadWrite, non-cacheable
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(6), 0);   // granularity
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(10), min);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(14), max);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(18), 0);  // translation
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(22), max - min + 1);
        return d;
    }

    private static byte[] WordAddressSpace(byte resourceType, byte typeFlags, ushort min, ushort max)
    {
        byte[] d = new byte[3 + 13];
        d[0] = 0x88; // large item, Word Address Space Descriptor
        d[1] = 13;
        d[3] = resourceType;
        d[4] = 0x0C; // MaxFixed, MinFixed, PosDecode, producer
        d[5] = typeFlags;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(8), min);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(10), max);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(12), 0);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(14), (ushort)(max - min + 1));
        return d;
    }
}
