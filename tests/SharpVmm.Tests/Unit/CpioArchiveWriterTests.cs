using System.Globalization;
using System.Text;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class CpioArchiveWriterTests
{
    private const UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private sealed record Entry(string Name, uint Inode, uint Mode, uint Uid, uint Gid, uint Links, uint MTime,
        uint RdevMajor, uint RdevMinor, byte[] Data);

    private static byte[] SampleArchive(Action<CpioArchiveWriter>? configure = null)
    {
        using var stream = new MemoryStream();
        using (var cpio = new CpioArchiveWriter(stream, leaveOpen: true))
        {
            configure?.Invoke(cpio);
            cpio.AddDirectory("/dev");
            cpio.AddCharacterDevice("/dev/console", 5, 1);
            cpio.AddDirectory("bin");
            cpio.AddFile("/init", "#!/bin/sh\necho hi\n"u8, Mode755);
            cpio.AddSymlink("/bin/sh", "/init");
            cpio.AddFile("/empty", []);
        }

        return stream.ToArray();
    }

    private static List<Entry> Parse(byte[] archive)
    {
        var entries = new List<Entry>();
        int at = 0;
        while (true)
        {
            Assert.Equal(0, at % 4);
            string header = Encoding.ASCII.GetString(archive, at, 110);
            Assert.Equal("070701", header[..6]);
            uint F(int i) => uint.Parse(header.AsSpan(6 + (i * 8), 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int nameSize = (int)F(11);
            string name = Encoding.ASCII.GetString(archive, at + 110, nameSize - 1);
            Assert.Equal(0, archive[at + 110 + nameSize - 1]);
            Assert.Equal(0u, F(12));
            int dataAt = (at + 110 + nameSize + 3) & ~3;
            byte[] data = archive[dataAt..(dataAt + (int)F(6))];
            entries.Add(new Entry(name, F(0), F(1), F(2), F(3), F(4), F(5), F(9), F(10), data));
            at = (dataAt + data.Length + 3) & ~3;
            if (name == "TRAILER!!!")
            {
                Assert.Equal(archive.Length, at);
                return entries;
            }
        }
    }

    [Fact]
    public void Headers_names_and_data_follow_the_newc_layout()
    {
        List<Entry> entries = Parse(SampleArchive());

        Assert.Equal(["dev", "dev/console", "bin", "init", "bin/sh", "empty", "TRAILER!!!"], entries.Select(e => e.Name));
        Assert.Equal(0x41EDu, entries[0].Mode);           // S_IFDIR | 0755
        Assert.Equal(2u, entries[0].Links);
        Assert.Equal(0x2180u, entries[1].Mode);           // S_IFCHR | 0600
        Assert.Equal((5u, 1u), (entries[1].RdevMajor, entries[1].RdevMinor));
        Assert.Equal(0x81EDu, entries[3].Mode);           // S_IFREG | 0755
        Assert.Equal("#!/bin/sh\necho hi\n"u8.ToArray(), entries[3].Data);
        Assert.Equal(0xA1FFu, entries[4].Mode);           // S_IFLNK | 0777
        Assert.Equal("/init"u8.ToArray(), entries[4].Data);
        Assert.Equal(0x81A4u, entries[5].Mode);           // S_IFREG | 0644
        Assert.Empty(entries[5].Data);
        Assert.All(entries, e => Assert.Equal(0u, e.MTime));
        Assert.All(entries, e => Assert.Equal((0u, 0u), (e.Uid, e.Gid)));
        Assert.Equal([1u, 2, 3, 4, 5, 6], entries.SkipLast(1).Select(e => e.Inode));
        Assert.Equal((0u, 0u, 1u), (entries[^1].Inode, entries[^1].Mode, entries[^1].Links));
    }

    [Fact]
    public void Output_is_reproducible_and_mtime_is_settable()
    {
        Assert.Equal(SampleArchive(), SampleArchive());

        List<Entry> entries = Parse(SampleArchive(c => c.ModificationTime = DateTimeOffset.FromUnixTimeSeconds(0x6543_2100)));

        Assert.Equal(0x6543_2100u, entries[0].MTime);
    }

    [Fact]
    public void System_cpio_lists_the_archive()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, SampleArchive());
            string[] lines = SystemCpio.ListVerbose(path);
            Assert.Equal(6, lines.Length);
            Assert.Matches(@"^drwxr-xr-x\s+2 root\s+root\s+0 .* dev$", lines[0]);
            Assert.Matches(@"^crw-------\s+1 root\s+root\s+5,\s+1 .* dev/console$", lines[1]);
            Assert.Matches(@"^-rwxr-xr-x\s+1 root\s+root\s+18 .* init$", lines[3]);
            Assert.Matches(@"^lrwxrwxrwx\s+1 root\s+root\s+5 .* bin/sh -> /init$", lines[4]);
            Assert.Matches(@"^-rw-r--r--\s+1 root\s+root\s+0 .* empty$", lines[5]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Duplicate_and_empty_names_are_rejected()
    {
        using var cpio = new CpioArchiveWriter(new MemoryStream());
        cpio.AddDirectory("/dev");

        Assert.Throws<ArgumentException>(() => cpio.AddDirectory("dev"));
        Assert.Throws<ArgumentException>(() => cpio.AddFile("/", []));
    }

    [Fact]
    public void Non_permission_mode_bits_are_rejected()
    {
        using var cpio = new CpioArchiveWriter(new MemoryStream());

        Assert.Throws<ArgumentOutOfRangeException>(() => cpio.AddFile("x", [], (UnixFileMode)0x8000));
    }

    [Fact]
    public void Nothing_can_be_added_after_the_trailer()
    {
        using var stream = new MemoryStream();
        using var cpio = new CpioArchiveWriter(stream, leaveOpen: true);
        cpio.Finish();
        long length = stream.Length;
        cpio.Finish();

        Assert.Throws<ObjectDisposedException>(() => cpio.AddDirectory("late"));
        Assert.Equal(length, stream.Length);
        Assert.Equal("TRAILER!!!", Parse(stream.ToArray()).Single().Name);
    }
}
