using System.Text;
using SharpVmm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Snapshot;

/// <summary>The state file's container: header, CRC-64, and every way a file can be wrong refused with its reason.</summary>
[Tier(TestTiers.Unit)]
public class SnapshotFileTests
{
    private static readonly byte[] State = Encoding.UTF8.GetBytes("""{"vcpus":[1,2,3]}""");

    [Fact]
    public void The_crc_64_of_the_check_string_is_the_xz_check_value()
    {
        Assert.Equal(0x995DC9BBDF1939FAUL, Crc64.Compute("123456789"u8));
        Assert.Equal(Crc64.Compute("123456789"u8), Crc64.Append(Crc64.Compute("1234"u8), "56789"u8));
    }

    [Fact]
    public void A_state_written_is_read_back_unchanged()
    {
        using var dir = new TempDirectory();
        string path = dir.File("vm.snap");

        SnapshotFile.Write(path, State);

        Assert.Equal(State, SnapshotFile.Read(path));
        Assert.False(File.Exists(path + ".partial"), "the temporary file was left behind");
    }

    [Fact]
    public void A_truncated_file_is_refused_as_truncated()
    {
        byte[] file = Written();

        foreach (int cut in new[] { 8, 20, file.Length - 20, file.Length - 1 })
        {
            var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Check(file.AsSpan(0, cut), "vm.snap"));
            Assert.True(ex.Message.Contains("truncated", StringComparison.Ordinal) || ex.Message.Contains("corrupted", StringComparison.Ordinal),
                $"cut at {cut}: {ex.Message}");
        }
    }

    [Fact]
    public void A_file_with_one_byte_flipped_anywhere_in_its_state_is_refused_as_corrupted()
    {
        byte[] file = Written();
        int stateStart = file.Length - 8 - State.Length;

        for (int i = stateStart; i < file.Length; i++)
        {
            byte[] damaged = (byte[])file.Clone();
            damaged[i] ^= 0x40;
            var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Check(damaged, "vm.snap"));
            Assert.Contains("corrupted", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_file_of_another_format_version_is_refused_naming_both_versions()
    {
        byte[] file = Written();
        file[8] = 2; // format version, after the magic
        Resign(file);

        var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Check(file, "vm.snap"));

        Assert.Contains("format version 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"reads version {SnapshotFile.FormatVersion}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_written_by_another_sharpvmm_version_is_refused()
    {
        byte[] file = Written();
        int versionAt = 8 + 4 + 2;
        file[versionAt] = (byte)(file[versionAt] == (byte)'9' ? '8' : '9');
        Resign(file);

        var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Check(file, "vm.snap"));

        Assert.Contains("written by SharpVmm", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_taken_on_another_cpu_vendor_is_refused()
    {
        byte[] file = Written();
        int vendorAt = 8 + 4 + 2 + Encoding.UTF8.GetByteCount(SnapshotFile.SharpVmmVersion) + 2;
        file[vendorAt] ^= 0x20; // GenuineIntel -> genuineIntel
        Resign(file);

        var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Check(file, "vm.snap"));

        Assert.Contains("CPU", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_snapshot_is_refused_as_such()
    {
        var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Check("""{"not":"a snapshot"}"""u8, "vm.snap"));

        Assert.Contains("not a SharpVmm snapshot file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_refused_naming_it()
    {
        var ex = Assert.Throws<SnapshotException>(() => SnapshotFile.Read("/nonexistent/vm.snap"));

        Assert.Contains("/nonexistent/vm.snap", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] Written()
    {
        using var dir = new TempDirectory();
        string path = dir.File("vm.snap");
        SnapshotFile.Write(path, State);
        return File.ReadAllBytes(path);
    }

    // A deliberate change with a valid checksum: what another writer would have produced.
    private static void Resign(byte[] file) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(file.Length - 8), Crc64.Compute(file.AsSpan(0, file.Length - 8)));
}
