using SharpVmm.Boot.MemoryMap;

namespace SharpVmm.Boot.Pvh;

/// <summary>Encodes the PVH memory map: an array of struct hvm_memmap_table_entry (addr, size, type, reserved).</summary>
public static class HvmMemoryMap
{
    /// <summary>Bytes per entry: addr @0, size @8, type @0x10, reserved @0x14.</summary>
    public const int EntrySize = 24;

    /// <summary>Encodes <paramref name="map"/>; the type values are the e820 ones (XEN_HVM_MEMMAP_TYPE_RAM = 1, ...).</summary>
    public static byte[] Encode(IReadOnlyList<E820Entry> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        byte[] bytes = new byte[map.Count * EntrySize];
        for (int i = 0; i < map.Count; i++)
        {
            map[i].WriteTo(bytes.AsSpan(i * EntrySize, EntrySize));
        }

        return bytes;
    }
}
