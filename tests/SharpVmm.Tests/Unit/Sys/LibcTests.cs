using System.Runtime.InteropServices;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Sys;

[Tier(TestTiers.Unit)]
public class LibcTests
{
    [Fact]
    public void An_eventfd_count_written_with_write_is_seen_by_poll_and_read_back_with_read()
    {
        using var eventFd = new EventFd();
        int fd = eventFd.Handle.Fd;
        Span<PollFd> pollSet = [PollFd.ForReading(fd)];
        Assert.Equal(0, Libc.Poll(pollSet, 0));

        Assert.Equal(sizeof(ulong), Libc.Write(fd, BitConverter.GetBytes(42UL)));
        Assert.Equal(1, Libc.Poll(pollSet, 1000));
        Assert.True(pollSet[0].IsReadable);

        Span<byte> counter = stackalloc byte[sizeof(ulong)];
        Assert.Equal(sizeof(ulong), Libc.Read(fd, counter));
        Assert.Equal(42UL, BitConverter.ToUInt64(counter));

        Assert.Equal(-1, Libc.Read(fd, counter)); // drained: a non-blocking eventfd says EAGAIN
        Assert.Equal(Errno.EAGAIN, Errno.Last());
    }

    [Fact]
    public void The_message_for_ENOENT_is_the_C_library_text()
    {
        Assert.Equal("No such file or directory", Errno.Message(Errno.ENOENT));
    }

    [Fact]
    public void Opening_a_missing_file_gives_no_descriptor_and_leaves_ENOENT()
    {
        FileDescriptor? fd = FileDescriptor.TryOpen("/nonexistent/sharpvmm-sys-test", Libc.O_RDWR | Libc.O_CLOEXEC);

        Assert.Null(fd);
        Assert.Equal(Errno.ENOENT, Errno.Last());
    }

    [Fact]
    public void A_system_call_exception_names_the_call_and_says_why()
    {
        var error = new SystemCallException("open", Errno.ENOENT);

        Assert.Equal("open failed: No such file or directory (errno 2)", error.Message);
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.IsAssignableFrom<IOException>(error);
    }

    [Fact]
    public void An_anonymous_page_can_be_mapped_written_read_and_unmapped()
    {
        nint page = Mman.MapAnonymous(Mman.PageSize);
        try
        {
            Assert.Equal(0, page % (nint)Mman.PageSize);
            Assert.Equal(0, Marshal.ReadByte(page, 4095)); // anonymous memory starts zeroed
            Marshal.WriteByte(page, 4095, 0x5A);
            Assert.Equal(0x5A, Marshal.ReadByte(page, 4095));
        }
        finally
        {
            Assert.Equal(0, Mman.Munmap(page, Mman.PageSize));
        }
    }

    [Fact]
    public void An_executable_page_holds_the_code_it_was_given()
    {
        byte[] code = [0x31, 0xC0, 0xC3]; // xor eax, eax; ret
        nint page = ExecutablePage.Create(code);

        byte[] copy = new byte[code.Length];
        Marshal.Copy(page, copy, 0, copy.Length);
        Assert.Equal(code, copy);
    }
}
