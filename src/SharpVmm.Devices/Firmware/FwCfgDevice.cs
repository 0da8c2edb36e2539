using System.Buffers.Binary;
using System.Text;
using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Firmware;

/// <summary>
/// QEMU's firmware configuration device (fw_cfg, docs/specs/fw_cfg.rst) on x86 I/O ports, traditional interface only:
/// the guest writes a 16-bit key to the selector register (<see cref="SelectorPort"/>, offset
/// <see cref="SelectorOffset"/>) and then reads the item's bytes one at a time from the data register
/// (<see cref="DataPort"/>, offset <see cref="DataOffset"/>); register it over <see cref="PortCount"/> ports at
/// <see cref="SelectorPort"/>. Selecting resets the data offset to 0; reads past the end of an item, and reads of a
/// key that names no item, return 0. Named files added with <see cref="AddFile"/> are listed in the big-endian
/// directory item <see cref="FwCfgKey.FileDir"/>, sorted by name, and take selectors from
/// <see cref="FwCfgKey.FileFirst"/> up in that order, as in QEMU.
/// </summary>
/// <remarks>
/// <para>
/// The two ports behave like QEMU's combined I/O region (hw/nvram/fw_cfg.c, <c>fw_cfg_comb_*</c>), which accepts
/// byte accesses and 16-bit writes at either port. A 16-bit write at offset 0 selects (little-endian, so
/// <c>outw</c> to 0x510); a wider write at offset 0 selects with its low 16 bits, as QEMU splits it at the end of
/// the region. A byte write to either port, including the selector port, is a data-register write: it selects
/// nothing, and QEMU since v2.4 ignores it, so it is only counted (<see cref="IgnoredDataWrites"/>). A byte read at
/// either port reads the data register. A 16-bit read is not a valid access and returns 0 without consuming data
/// (<see cref="InvalidAccesses"/>). Bytes of an access that run past the second port are not this device's and
/// read as all ones.
/// </para>
/// <para>
/// The write-channel bit of a key (<see cref="FwCfgKey.WriteChannel"/>) is ignored and the architecture bit
/// (<see cref="FwCfgKey.ArchLocal"/>) chooses a second item table. There is no DMA interface, so
/// <see cref="FwCfgKey.Id"/> reports only <see cref="InterfaceTraditional"/>. Unlike QEMU, the file directory is
/// exactly as long as its entries (QEMU pads it with zeroed slots; guests stop at the count either way).
/// Items are meant to be set up before the guest runs; all members are thread-safe, as vCPU threads may access the
/// device concurrently.
/// </para>
/// </remarks>
public sealed class FwCfgDevice : IBusDevice
{
    /// <summary>The selector register's I/O port on x86 (QEMU's FW_CFG_IO_BASE).</summary>
    public const ushort SelectorPort = 0x510;

    /// <summary>The data register's I/O port on x86 (FW_CFG_IO_BASE + 1).</summary>
    public const ushort DataPort = 0x511;

    /// <summary>Number of I/O ports the device decodes (FW_CFG_CTL_SIZE).</summary>
    public const ushort PortCount = 2;

    /// <summary>Offset of the selector register.</summary>
    public const int SelectorOffset = 0;

    /// <summary>Offset of the data register.</summary>
    public const int DataOffset = 1;

    /// <summary>FW_CFG_VERSION: the <see cref="FwCfgKey.Id"/> bit for the traditional (port I/O) interface.</summary>
    public const uint InterfaceTraditional = 0x01;

    /// <summary>Longest file name, in bytes: FW_CFG_MAX_FILE_PATH (56) less the terminating NUL.</summary>
    public const int MaxFileNameLength = 55;

    // struct FWCfgFile: be32 size, be16 select, be16 reserved, char name[FW_CFG_MAX_FILE_PATH].
    private const int FileEntrySize = 64, FileNameOffset = 8;

    // Files take the selectors FW_CFG_FILE_FIRST .. FW_CFG_ENTRY_MASK.
    private const int MaxFiles = FwCfgKey.EntryMask + 1 - FwCfgKey.FileFirst;

    private static ReadOnlySpan<byte> SignatureBytes => "QEMU"u8;

    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, byte[]> _items = [];
    private readonly List<KeyValuePair<string, byte[]>> _files = []; // sorted by name (ordinal, like strcmp)
    private byte[] _directory = new byte[sizeof(uint)];
    private ushort _selector; // QEMU's fw_cfg_reset selects key 0
    private int _offset;
    private long _ignoredDataWrites;
    private long _invalidAccesses;

    /// <summary>Creates a device with the signature "QEMU", the interface ID and an empty file directory.</summary>
    public FwCfgDevice()
    {
        _items[FwCfgKey.Signature] = SignatureBytes.ToArray();
        SetU32(FwCfgKey.Id, InterfaceTraditional);
    }

    /// <summary>
    /// Creates a device for a machine: <paramref name="ramSize"/> bytes of RAM, <paramref name="cpus"/> CPUs at boot
    /// and at most <paramref name="maxCpus"/> (0: the same as <paramref name="cpus"/>).
    /// </summary>
    public static FwCfgDevice ForMachine(ulong ramSize, int cpus, int maxCpus = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpus, ushort.MaxValue);
        if (maxCpus == 0)
        {
            maxCpus = cpus;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxCpus, cpus);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCpus, ushort.MaxValue);
        return new FwCfgDevice()
            .SetU64(FwCfgKey.RamSize, ramSize)
            .SetU16(FwCfgKey.NbCpus, (ushort)cpus)
            .SetU16(FwCfgKey.MaxCpus, (ushort)maxCpus);
    }

    /// <summary>The key the guest last selected, as written (initially 0, the signature).</summary>
    public ushort Selector
    {
        get
        {
            lock (_lock)
            {
                return _selector;
            }
        }
    }

    /// <summary>Guest writes to the data register, which are ignored as in QEMU since v2.4.</summary>
    public long IgnoredDataWrites => Interlocked.Read(ref _ignoredDataWrites);

    /// <summary>Guest accesses of a width the device does not accept (16-bit reads), answered with 0.</summary>
    public long InvalidAccesses => Interlocked.Read(ref _invalidAccesses);

    /// <summary>The file directory, in selector order.</summary>
    public IReadOnlyList<FwCfgFile> Files
    {
        get
        {
            lock (_lock)
            {
                return [.. _files.Select((f, i) => new FwCfgFile(f.Key, (ushort)(FwCfgKey.FileFirst + i), f.Value.Length))];
            }
        }
    }

    /// <summary>
    /// Sets item <paramref name="key"/> to a copy of <paramref name="data"/>. Keys with the write-channel bit, the
    /// file directory and the file selectors (<see cref="FwCfgKey.FileFirst"/> up) are not items; use
    /// <see cref="AddFile"/> for files.
    /// </summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetItem(ushort key, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if ((key & FwCfgKey.WriteChannel) != 0 || (key & FwCfgKey.EntryMask) >= FwCfgKey.FileFirst
            || key == FwCfgKey.FileDir)
        {
            throw new ArgumentOutOfRangeException(nameof(key), $"0x{key:x4} is not a settable fw_cfg item key");
        }

        byte[] copy = [.. data];
        lock (_lock)
        {
            _items[key] = copy;
        }

        return this;
    }

    /// <summary>Sets item <paramref name="key"/> to a little-endian u16.</summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetU16(ushort key, ushort value)
    {
        byte[] data = new byte[sizeof(ushort)];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        return SetItem(key, data);
    }

    /// <summary>Sets item <paramref name="key"/> to a little-endian u32.</summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetU32(ushort key, uint value)
    {
        byte[] data = new byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        return SetItem(key, data);
    }

    /// <summary>Sets item <paramref name="key"/> to a little-endian u64.</summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetU64(ushort key, ulong value)
    {
        byte[] data = new byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        return SetItem(key, data);
    }

    /// <summary>Sets item <paramref name="key"/> to <paramref name="value"/> in UTF-8 with a terminating NUL (QEMU's fw_cfg_add_string).</summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetString(ushort key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return SetItem(key, Encoding.UTF8.GetBytes(value + "\0"));
    }

    /// <summary>Sets the kernel items: <see cref="FwCfgKey.KernelAddr"/>, <see cref="FwCfgKey.KernelSize"/> and <see cref="FwCfgKey.KernelData"/>.</summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetKernel(uint loadAddress, byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return SetU32(FwCfgKey.KernelAddr, loadAddress)
            .SetU32(FwCfgKey.KernelSize, (uint)image.Length)
            .SetItem(FwCfgKey.KernelData, image);
    }

    /// <summary>Sets the initrd items: <see cref="FwCfgKey.InitrdAddr"/>, <see cref="FwCfgKey.InitrdSize"/> and <see cref="FwCfgKey.InitrdData"/>.</summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetInitrd(uint loadAddress, byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return SetU32(FwCfgKey.InitrdAddr, loadAddress)
            .SetU32(FwCfgKey.InitrdSize, (uint)image.Length)
            .SetItem(FwCfgKey.InitrdData, image);
    }

    /// <summary>
    /// Sets the command-line items as QEMU does on x86: <see cref="FwCfgKey.CmdlineAddr"/>,
    /// <see cref="FwCfgKey.CmdlineSize"/> (including the NUL) and the NUL-terminated <see cref="FwCfgKey.CmdlineData"/>.
    /// </summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice SetCommandLine(uint address, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        byte[] data = Encoding.UTF8.GetBytes(commandLine + "\0");
        return SetU32(FwCfgKey.CmdlineAddr, address)
            .SetU32(FwCfgKey.CmdlineSize, (uint)data.Length)
            .SetItem(FwCfgKey.CmdlineData, data);
    }

    /// <summary>
    /// Adds a named file holding a copy of <paramref name="data"/> (for example "etc/e820"). The name is printable
    /// ASCII, 1 to <see cref="MaxFileNameLength"/> characters, and unique. Files are kept sorted by name, so adding
    /// one renumbers the selectors of those after it; read <see cref="Files"/> once all are added.
    /// </summary>
    /// <returns>This device, to chain calls.</returns>
    public FwCfgDevice AddFile(string name, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        if (name.Length is 0 or > MaxFileNameLength || !name.All(c => c is >= ' ' and <= '~'))
        {
            throw new ArgumentException(
                $"fw_cfg file name \"{name}\" must be 1 to {MaxFileNameLength} printable ASCII characters", nameof(name));
        }

        byte[] copy = [.. data];
        lock (_lock)
        {
            int index = _files.FindIndex(f => string.CompareOrdinal(f.Key, name) >= 0);
            if (index >= 0 && _files[index].Key == name)
            {
                throw new ArgumentException($"fw_cfg file \"{name}\" is already present", nameof(name));
            }

            if (_files.Count == MaxFiles)
            {
                throw new InvalidOperationException($"fw_cfg holds at most {MaxFiles} files");
            }

            _files.Insert(index < 0 ? _files.Count : index, new(name, copy));
            _directory = BuildDirectory();
        }

        return this;
    }

    /// <summary>The selector and the read position within its item (see <see cref="FwCfgState"/>).</summary>
    public FwCfgState SaveState()
    {
        lock (_lock)
        {
            return new FwCfgState { Selector = _selector, Offset = _offset };
        }
    }

    /// <summary>Selects <paramref name="state"/>'s key at its read position, in a device whose items were set up as before.</summary>
    /// <exception cref="DeviceStateException">The offset is negative or past the end of the item; nothing is changed then.</exception>
    public void RestoreState(FwCfgState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            int length = Lookup(state.Selector)?.Length ?? 0;
            DeviceStateException.Require(state.Offset >= 0 && state.Offset <= length, "fw_cfg", nameof(state.Offset),
                $"{state.Offset} is outside item 0x{state.Selector:x4} of {length} bytes");
            _selector = state.Selector;
            _offset = state.Offset;
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        int inside = BytesInside(offset, data.Length);
        data[inside..].Fill(0xFF);
        if (inside == 1)
        {
            lock (_lock)
            {
                data[0] = ReadDataByte();
            }
        }
        else if (inside > 1)
        {
            data[..inside].Clear();
            Interlocked.Increment(ref _invalidAccesses);
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        int inside = BytesInside(offset, data.Length);
        if (inside == PortCount)
        {
            lock (_lock)
            {
                _selector = BinaryPrimitives.ReadUInt16LittleEndian(data);
                _offset = 0;
            }
        }
        else if (inside == 1)
        {
            Interlocked.Increment(ref _ignoredDataWrites);
        }
    }

    // How many bytes of an access at offset fall on this device's two ports.
    private static int BytesInside(ulong offset, int length) =>
        offset >= PortCount ? 0 : (int)Math.Min((ulong)length, PortCount - offset);

    private byte ReadDataByte()
    {
        byte[]? item = Lookup(_selector);
        if (item is null || _offset >= item.Length)
        {
            return 0;
        }

        return item[_offset++];
    }

    private byte[]? Lookup(ushort selector)
    {
        ushort key = (ushort)(selector & ~FwCfgKey.WriteChannel);
        if (key == FwCfgKey.FileDir)
        {
            return _directory;
        }

        if (key is >= FwCfgKey.FileFirst and <= FwCfgKey.EntryMask)
        {
            int index = key - FwCfgKey.FileFirst;
            return index < _files.Count ? _files[index].Value : null;
        }

        return _items.GetValueOrDefault(key);
    }

    private byte[] BuildDirectory()
    {
        byte[] directory = new byte[sizeof(uint) + (_files.Count * FileEntrySize)];
        BinaryPrimitives.WriteUInt32BigEndian(directory, (uint)_files.Count);
        for (int i = 0; i < _files.Count; i++)
        {
            Span<byte> entry = directory.AsSpan(sizeof(uint) + (i * FileEntrySize), FileEntrySize);
            BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)_files[i].Value.Length);
            BinaryPrimitives.WriteUInt16BigEndian(entry[4..], (ushort)(FwCfgKey.FileFirst + i));
            Encoding.ASCII.GetBytes(_files[i].Key, entry[FileNameOffset..]); // the rest stays NUL
        }

        return directory;
    }
}
