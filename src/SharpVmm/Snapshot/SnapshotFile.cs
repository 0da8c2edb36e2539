using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace SharpVmm.Snapshot;

/// <summary>
/// The container of a snapshot's state file: a header that says what wrote it, the state (a JSON document), and a
/// CRC-64 over everything before it. Layout, little-endian:
/// <c>"SVMMSNAP"</c>, u32 format version, u16 length + UTF-8 SharpVmm version, u16 length + host CPU vendor (CPUID leaf
/// 0), u64 state length, the state, u64 CRC-64/XZ of all the bytes before it. A file is checked whole before its state
/// is handed out: a truncated, corrupted or foreign one, or one another format version, SharpVmm version or CPU vendor
/// wrote, is refused with a <see cref="SnapshotException"/> that says which.
/// </summary>
public static class SnapshotFile
{
    /// <summary>The format version this SharpVmm writes and reads.</summary>
    public const uint FormatVersion = 1;

    /// <summary>The largest state file read (the state of a VM is kilobytes; memory is in its own file).</summary>
    public const long MaxSize = 64L << 20;

    private static ReadOnlySpan<byte> Magic => "SVMMSNAP"u8;

    /// <summary>This SharpVmm's version, as written in the header (major.minor.build).</summary>
    public static string SharpVmmVersion { get; } =
        typeof(SnapshotFile).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    /// <summary>The host CPU's vendor string (<c>GenuineIntel</c>, <c>AuthenticAMD</c>, ...).</summary>
    public static string HostCpuVendor { get; } = ReadCpuVendor();

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> with its header and checksum, through a temporary file renamed into place.</summary>
    /// <exception cref="SnapshotException">The file cannot be written.</exception>
    public static void Write(string path, ReadOnlySpan<byte> state)
    {
        byte[] version = Encoding.UTF8.GetBytes(SharpVmmVersion), vendor = Encoding.UTF8.GetBytes(HostCpuVendor);
        var file = new byte[Magic.Length + 4 + 2 + version.Length + 2 + vendor.Length + 8 + state.Length + 8];
        var at = new SpanWriter(file);
        at.Bytes(Magic);
        at.U32(FormatVersion);
        at.U16((ushort)version.Length);
        at.Bytes(version);
        at.U16((ushort)vendor.Length);
        at.Bytes(vendor);
        at.U64((ulong)state.Length);
        at.Bytes(state);
        at.U64(Crc64.Compute(file.AsSpan(0, file.Length - 8)));
        string temporary = path + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(file);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new SnapshotException($"cannot write the snapshot file {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Reads and checks the file at <paramref name="path"/>; returns its state document.</summary>
    /// <exception cref="SnapshotException">The file is missing, unreadable, truncated, corrupted, or from another format version, SharpVmm version or CPU vendor.</exception>
    public static byte[] Read(string path)
    {
        byte[] file;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxSize)
            {
                throw new SnapshotException($"{path} is {length} bytes, more than a snapshot state file can be ({MaxSize}): not a snapshot file");
            }

            file = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"cannot read the snapshot file {path}: {ex.Message}", ex);
        }

        return Check(file, path);
    }

    /// <summary>Checks a whole state file's bytes (<paramref name="name"/> is for messages); returns its state document.</summary>
    /// <exception cref="SnapshotException">As <see cref="Read"/>.</exception>
    public static byte[] Check(ReadOnlySpan<byte> file, string name)
    {
        if (file.Length < Magic.Length || !file[..Magic.Length].SequenceEqual(Magic))
        {
            throw new SnapshotException($"{name} is not a SharpVmm snapshot file (it does not begin with \"SVMMSNAP\")");
        }

        var at = new SpanReader(file, name);
        at.Skip(Magic.Length);
        uint format = at.U32();
        string version = Encoding.UTF8.GetString(at.Bytes(at.U16()));
        string vendor = Encoding.UTF8.GetString(at.Bytes(at.U16()));
        ulong stateLength = at.U64();
        if (stateLength > (ulong)(file.Length - at.Offset))
        {
            throw new SnapshotException($"{name} is truncated: its state is {stateLength} bytes but only {file.Length - at.Offset} follow the header");
        }

        ReadOnlySpan<byte> state = at.Bytes((int)stateLength);
        int end = at.Offset;
        ulong recorded = at.U64();
        ulong actual = Crc64.Compute(file[..end]);
        if (recorded != actual)
        {
            throw new SnapshotException(FormattableString.Invariant($"{name} is corrupted: its CRC-64 is 0x{actual:x16}, the file records 0x{recorded:x16}"));
        }

        if (at.Offset != file.Length)
        {
            throw new SnapshotException($"{name} has {file.Length - at.Offset} bytes after its checksum: not a snapshot file as written");
        }

        if (format != FormatVersion)
        {
            throw new SnapshotException($"{name} is in snapshot format version {format}; this SharpVmm reads version {FormatVersion}");
        }

        if (version != SharpVmmVersion)
        {
            throw new SnapshotException($"{name} was written by SharpVmm {version}; this is SharpVmm {SharpVmmVersion}, which restores only its own snapshots");
        }

        if (vendor != HostCpuVendor)
        {
            throw new SnapshotException($"{name} was taken on a {vendor} CPU; this host's is {HostCpuVendor}, and a guest's CPU state does not move between vendors");
        }

        return state.ToArray();
    }

    private static string ReadCpuVendor()
    {
        if (!X86Base.IsSupported)
        {
            return "unknown";
        }

        (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(vendor, ebx);
        BinaryPrimitives.WriteInt32LittleEndian(vendor[4..], edx);
        BinaryPrimitives.WriteInt32LittleEndian(vendor[8..], ecx);
        return Encoding.ASCII.GetString(vendor);
    }
}
