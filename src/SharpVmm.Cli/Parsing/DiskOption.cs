namespace SharpVmm.Cli.Parsing;

/// <summary>
/// A <c>--disk PATH[,readonly][,serial=ID][,root]</c> option: a raw image file given to the guest as a virtio-blk disk
/// (the first is <c>/dev/vda</c>, the next <c>/dev/vdb</c>, in the order given). The same keys as QEMU's <c>-drive</c>
/// (<c>readonly</c>, <c>serial=</c>) and Firecracker's <c>is_read_only</c>.
/// </summary>
/// <param name="Path">The image file.</param>
/// <param name="ReadOnly">Whether the guest may only read it (the file is opened read-only and the device offers VIRTIO_BLK_F_RO).</param>
/// <param name="Serial">The serial number the guest reads with GET_ID (at most 20 bytes of ASCII), or null.</param>
/// <param name="Root">Whether it is the root file system (Firecracker's <c>is_root_device</c>): it becomes /dev/vda and the kernel gets <c>root=/dev/vda</c>.</param>
public sealed record DiskOption(string Path, bool ReadOnly, string? Serial, bool Root = false)
{
    /// <summary>The longest serial virtio-blk can return (VIRTIO_BLK_ID_BYTES).</summary>
    public const int MaxSerialLength = 20;

    /// <summary>Parses the option's value.</summary>
    /// <exception cref="UsageException">The value is malformed.</exception>
    public static DiskOption Parse(string text)
    {
        string[] parts = text.Split(',');
        string path = parts[0];
        if (path.Length == 0)
        {
            throw new UsageException($"--disk: '{text}' has no image path (expected PATH[,readonly][,serial=ID][,root])");
        }

        bool readOnly = false;
        bool root = false;
        string? serial = null;
        foreach (string part in parts.Skip(1))
        {
            if (part is "readonly" or "ro" or "readonly=on")
            {
                readOnly = true;
            }
            else if (part == "root")
            {
                root = true;
            }
            else if (part.StartsWith("serial=", StringComparison.Ordinal))
            {
                serial = part["serial=".Length..];
                if (serial.Length is 0 or > MaxSerialLength || serial.Any(c => c is < ' ' or > '~'))
                {
                    throw new UsageException($"--disk {path}: serial must be 1 to {MaxSerialLength} printable ASCII characters, not '{serial}'");
                }
            }
            else
            {
                throw new UsageException($"--disk {path}: unknown setting '{part}' (known: readonly, serial=ID, root)");
            }
        }

        return new DiskOption(path, readOnly, serial, root);
    }

    /// <summary>The drive this option describes, as the <paramref name="index"/>-th <c>--disk</c> (its id is <c>diskN</c>).</summary>
    public Configuration.DriveConfig ToDrive(int index) => new()
    {
        DriveId = $"disk{index}",
        PathOnHost = Path,
        IsReadOnly = ReadOnly,
        IsRootDevice = Root,
        Serial = Serial,
    };
}
