using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Sys;

[Tier(TestTiers.Unit)]
public class FileDescriptorTests
{
    [Fact]
    public void A_descriptor_is_closed_exactly_once_however_often_it_is_disposed()
    {
        int number = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        Assert.True(number >= 0);
        var handle = new FileDescriptor(number);

        handle.Dispose();
        Assert.True(handle.IsClosed);

        // The kernel hands out the lowest free number, so the next descriptor most likely gets the same number: a
        // second close through the old handle would close it, and the write below would fail with EBADF.
        using var successor = new EventFd();
        handle.Dispose();
        Assert.Equal(sizeof(ulong), Libc.Write(successor.Handle.Fd, BitConverter.GetBytes(1UL)));
        Assert.True(successor.TryRead(out ulong count));
        Assert.Equal(1UL, count);
    }

    [Fact]
    public void Descriptor_zero_is_valid_and_minus_one_is_not()
    {
        using var standardInput = new FileDescriptor(0, ownsHandle: false);
        using var none = new FileDescriptor();

        Assert.False(standardInput.IsInvalid);
        Assert.Equal(0, standardInput.Fd);
        Assert.True(none.IsInvalid);
    }

    [Fact]
    public void A_descriptor_that_does_not_own_its_number_leaves_it_open()
    {
        using var eventFd = new EventFd();
        var borrowed = new FileDescriptor(eventFd.Handle.Fd, ownsHandle: false);

        borrowed.Dispose();

        Assert.Equal(sizeof(ulong), Libc.Write(eventFd.Handle.Fd, BitConverter.GetBytes(1UL)));
    }
}
