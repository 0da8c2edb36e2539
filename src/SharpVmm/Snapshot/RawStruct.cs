using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpVmm.Snapshot;

/// <summary>Turns a <c>&lt;linux/kvm.h&gt;</c> struct into the bytes a snapshot keeps, and back.</summary>
internal static class RawStruct
{
    /// <summary>The struct's bytes, exactly as KVM reads and writes them.</summary>
    public static byte[] ToBytes<T>(in T value) where T : unmanaged =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    /// <summary>An array of structs as one byte array.</summary>
    public static byte[] ToBytes<T>(ReadOnlySpan<T> values) where T : unmanaged => MemoryMarshal.AsBytes(values).ToArray();

    /// <summary>The struct saved as <paramref name="bytes"/>; <paramref name="field"/> names it in the error.</summary>
    /// <exception cref="InvalidDataException">The bytes are not one <typeparamref name="T"/>.</exception>
    public static T FromBytes<T>(byte[]? bytes, string field) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (bytes is null || bytes.Length != size)
        {
            throw new InvalidDataException($"{field} holds {bytes?.Length ?? 0} bytes; the kernel's struct has {size}");
        }

        return MemoryMarshal.Read<T>(bytes);
    }

    /// <summary>The array of structs saved as <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">The length is not a whole number of <typeparamref name="T"/>.</exception>
    public static T[] ArrayFromBytes<T>(byte[] bytes, string field) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (bytes.Length % size != 0)
        {
            throw new InvalidDataException($"{field} holds {bytes.Length} bytes, not a whole number of {size}-byte entries");
        }

        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }
}
