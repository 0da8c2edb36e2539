using System.Buffers.Binary;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioBlockDeviceTests : IDisposable
{
    private const uint In = 0, Out = 1, Flush = 4, GetId = 8, Discard = 11, WriteZeroes = 13;
    private const byte Ok = 0, IoErr = 1, Unsupp = 2;
    private const int Sectors = 64;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sharpvmm-blk-{Guid.NewGuid():N}.img");
    private readonly VirtQueueBuilder _queue = new(size: 16);
    private readonly FakeVirtioInterrupt _interrupt = new();
    private VirtioBlockDevice? _device;

    public VirtioBlockDeviceTests()
    {
        byte[] content = new byte[Sectors * 512];
        for (int i = 0; i < content.Length; i++)
        {
            content[i] = (byte)(i / 512 + 1); // sector n is filled with n + 1
        }

        File.WriteAllBytes(_path, content);
    }

    public void Dispose()
    {
        _device?.Dispose();
        _queue.Dispose();
        File.Delete(_path);
    }

    private VirtioBlockDevice Start(bool readOnly = false, string? serial = "sharpvmm-disk-1")
    {
        _device = new VirtioBlockDevice(new RawDiskImage(_path, readOnly), "vdt", serial, queueSize: 16);
        _device.Activate(new VirtioActivation(_queue.Memory, _device.DeviceFeatures, [_queue.Config], _interrupt));
        return _device;
    }

    private static byte[] Header(uint type, ulong sector)
    {
        var h = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(8), sector);
        return h;
    }

    private static byte[] Segment(ulong sector, uint count, uint flags)
    {
        var s = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(s, sector);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(8), count);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(12), flags);
        return s;
    }

    /// <summary>Publishes a chain, kicks the device, and waits (bounded) for it to be used.</summary>
    private (BuiltChain Chain, uint UsedLength) Submit(params ChainBuffer[] buffers)
    {
        ushort before = _queue.UsedIdx;
        BuiltChain chain = _queue.AddChain(buffers);
        _device!.Notify(0);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx != before), "the device did not complete the request");
        (uint id, uint length) = _queue.Used(before);
        Assert.Equal(chain.Head, id);
        return (chain, length);
    }

    private byte Status(BuiltChain chain) => _queue.ReadBuffer(chain, chain.Buffers.Count - 1)[^1];

    [Fact]
    public void Config_space_and_features_describe_the_disk()
    {
        VirtioBlockDevice device = Start();
        Span<byte> config = stackalloc byte[device.ConfigSize];
        device.ReadConfig(0, config);

        Assert.Equal((ulong)Sectors, BinaryPrimitives.ReadUInt64LittleEndian(config));
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(config[20..]));
        Assert.Equal(VirtioBlockDevice.SegMax, BinaryPrimitives.ReadUInt32LittleEndian(config[12..]));
        Assert.Equal(VirtioDeviceType.Block, device.DeviceType);
        Assert.Equal(0UL, device.DeviceFeatures & VirtioBlockDevice.FeatureReadOnly);
        Assert.NotEqual(0UL, device.DeviceFeatures & VirtioBlockDevice.FeatureFlush);
        Assert.Equal(VirtioFeatures.Common, device.DeviceFeatures & VirtioFeatures.Common);
    }

    [Fact]
    public void A_read_returns_the_sectors_of_the_image()
    {
        VirtioBlockDevice device = Start();
        (BuiltChain chain, uint used) = Submit(ChainBuffer.In(Header(In, 3)), ChainBuffer.Out(512), ChainBuffer.Out(513));

        Assert.Equal(Ok, Status(chain));
        Assert.Equal(1025u, used);
        Assert.All(_queue.ReadBuffer(chain, 1), b => Assert.Equal(4, b));
        Assert.All(_queue.ReadBuffer(chain, 2)[..512], b => Assert.Equal(5, b));
        Assert.Equal(1024, device.Counters.BytesRead);
        Assert.True(_interrupt.UsedSignals > 0);
    }

    [Fact]
    public void A_write_reaches_the_file_and_reads_back()
    {
        VirtioBlockDevice device = Start();
        byte[] data = Enumerable.Range(0, 1024).Select(i => (byte)(i * 7)).ToArray();
        (BuiltChain w, uint used) = Submit(ChainBuffer.In(Header(Out, 10)), ChainBuffer.In(data.AsSpan(0, 100)),
            ChainBuffer.In(data.AsSpan(100)), ChainBuffer.Out(1));
        Assert.Equal(Ok, Status(w));
        Assert.Equal(1u, used);
        Assert.Equal(1024, device.Counters.BytesWritten);

        (BuiltChain r, _) = Submit(ChainBuffer.In(Header(In, 10)), ChainBuffer.Out(1025));
        Assert.Equal(data, _queue.ReadBuffer(r, 1)[..1024]);

        device.Dispose();
        _device = null;
        Assert.Equal(data, File.ReadAllBytes(_path).AsSpan(10 * 512, 1024).ToArray());
    }

    [Fact]
    public void Flush_is_answered_and_counted()
    {
        VirtioBlockDevice device = Start();
        (BuiltChain chain, _) = Submit(ChainBuffer.In(Header(Flush, 0)), ChainBuffer.Out(1));
        Assert.Equal(Ok, Status(chain));
        Assert.Equal(1, device.Counters.Flushes);
    }

    [Fact]
    public void Get_id_returns_the_serial_zero_padded()
    {
        Start(serial: "disk-7");
        (BuiltChain chain, uint used) = Submit(ChainBuffer.In(Header(GetId, 0)), ChainBuffer.Out(20), ChainBuffer.Out(1));
        Assert.Equal(Ok, Status(chain));
        Assert.Equal(21u, used);
        byte[] expected = new byte[20];
        "disk-7"u8.CopyTo(expected);
        Assert.Equal(expected, _queue.ReadBuffer(chain, 1));
    }

    [Theory]
    [InlineData(Discard, 0u)]
    [InlineData(WriteZeroes, 0u)]
    [InlineData(WriteZeroes, 1u)]
    public void Discard_and_write_zeroes_leave_the_range_reading_as_zeros(uint type, uint flags)
    {
        VirtioBlockDevice device = Start();
        (BuiltChain chain, _) = Submit(ChainBuffer.In(Header(type, 0)), ChainBuffer.In(Segment(8, 16, flags)),
            ChainBuffer.In(Segment(40, 8, flags)), ChainBuffer.Out(1));
        Assert.Equal(Ok, Status(chain));
        device.Dispose();
        _device = null;

        byte[] file = File.ReadAllBytes(_path);
        Assert.Equal(Sectors * 512, file.Length);
        Assert.All(file.AsSpan(7 * 512, 512).ToArray(), b => Assert.Equal(8, b)); // just before the first range
        if (type == WriteZeroes)
        {
            // Discard is a hint (the file system may keep the data); zeroing is a promise.
            Assert.All(file.AsSpan(8 * 512, 16 * 512).ToArray(), b => Assert.Equal(0, b));
            Assert.All(file.AsSpan(40 * 512, 8 * 512).ToArray(), b => Assert.Equal(0, b));
        }

        Assert.All(file.AsSpan(24 * 512, 512).ToArray(), b => Assert.Equal(25, b));
    }

    [Fact]
    public void A_read_only_disk_refuses_writes_and_keeps_the_image_unchanged()
    {
        byte[] before = File.ReadAllBytes(_path);
        VirtioBlockDevice device = Start(readOnly: true);
        Assert.NotEqual(0UL, device.DeviceFeatures & VirtioBlockDevice.FeatureReadOnly);

        (BuiltChain w, _) = Submit(ChainBuffer.In(Header(Out, 0)), ChainBuffer.In(new byte[512]), ChainBuffer.Out(1));
        Assert.Equal(IoErr, Status(w));
        (BuiltChain z, _) = Submit(ChainBuffer.In(Header(WriteZeroes, 0)), ChainBuffer.In(Segment(0, 1, 0)), ChainBuffer.Out(1));
        Assert.Equal(IoErr, Status(z));
        (BuiltChain r, _) = Submit(ChainBuffer.In(Header(In, 0)), ChainBuffer.Out(513));
        Assert.Equal(Ok, Status(r));
        (BuiltChain f, _) = Submit(ChainBuffer.In(Header(Flush, 0)), ChainBuffer.Out(1));
        Assert.Equal(Ok, Status(f));

        device.Dispose();
        _device = null;
        Assert.Equal(before, File.ReadAllBytes(_path));
    }

    [Theory]
    [InlineData(In, Sectors - 1UL, 1024)]
    [InlineData(In, Sectors, 512)]
    [InlineData(In, ulong.MaxValue, 512)]
    [InlineData(Out, Sectors - 1UL, 1024)]
    [InlineData(Out, 1UL << 60, 512)]
    public void Out_of_range_sectors_are_an_io_error(uint type, ulong sector, int length)
    {
        VirtioBlockDevice device = Start();
        (BuiltChain chain, _) = type == In
            ? Submit(ChainBuffer.In(Header(type, sector)), ChainBuffer.Out((uint)length + 1))
            : Submit(ChainBuffer.In(Header(type, sector)), ChainBuffer.In(new byte[length]), ChainBuffer.Out(1));
        Assert.Equal(IoErr, Status(chain));
        Assert.Equal(1, device.Counters.Errors);
        Assert.Equal(0, device.Counters.BytesWritten);
    }

    [Theory]
    [InlineData(Discard)]
    [InlineData(WriteZeroes)]
    public void An_empty_range_is_answered_ok_and_changes_nothing(uint type)
    {
        byte[] before = File.ReadAllBytes(_path);
        VirtioBlockDevice device = Start();
        (BuiltChain chain, _) = Submit(ChainBuffer.In(Header(type, 0)), ChainBuffer.In(Segment(8, 0, 0)), ChainBuffer.Out(1));
        Assert.Equal(Ok, Status(chain));
        Assert.Equal(0, device.Counters.Errors);
        device.Dispose();
        _device = null;
        Assert.Equal(before, File.ReadAllBytes(_path));
    }

    [Fact]
    public void A_discard_past_the_end_is_an_io_error()
    {
        Start();
        (BuiltChain chain, _) = Submit(ChainBuffer.In(Header(Discard, 0)), ChainBuffer.In(Segment(Sectors - 4, 8, 0)), ChainBuffer.Out(1));
        Assert.Equal(IoErr, Status(chain));
    }

    [Fact]
    public void An_unknown_request_type_is_unsupported()
    {
        VirtioBlockDevice device = Start();
        (BuiltChain chain, _) = Submit(ChainBuffer.In(Header(99, 0)), ChainBuffer.Out(1));
        Assert.Equal(Unsupp, Status(chain));
        Assert.Equal(1, device.Counters.Unsupported);
    }

    [Fact]
    public void Malformed_requests_get_an_error_status_and_the_device_keeps_working()
    {
        VirtioBlockDevice device = Start();
        (BuiltChain shortHeader, _) = Submit(ChainBuffer.In(new byte[8]), ChainBuffer.Out(1));
        Assert.Equal(IoErr, Status(shortHeader));

        (BuiltChain oddLength, _) = Submit(ChainBuffer.In(Header(In, 0)), ChainBuffer.Out(100));
        Assert.Equal(IoErr, Status(oddLength));

        (BuiltChain wrongDirection, _) = Submit(ChainBuffer.In(Header(Out, 0)), ChainBuffer.In(new byte[3]), ChainBuffer.Out(1));
        Assert.Equal(IoErr, Status(wrongDirection));

        (_, uint noStatus) = Submit(ChainBuffer.In(Header(In, 0)), ChainBuffer.In(new byte[512]));
        Assert.Equal(0u, noStatus);

        (BuiltChain good, _) = Submit(ChainBuffer.In(Header(In, 0)), ChainBuffer.Out(513));
        Assert.Equal(Ok, Status(good));
        Assert.Equal(4, device.Counters.Errors);
        Assert.Equal(5, device.Counters.Requests);
        Assert.Equal(0, _interrupt.NeedsResetSignals);
    }

    [Fact]
    public void A_malformed_ring_asks_for_a_reset_once()
    {
        VirtioBlockDevice device = Start();
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.IdleWaits(0) == 1), "the device thread never went to sleep");
        _queue.Publish(200); // head index outside the queue
        device.Notify(0);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _interrupt.NeedsResetSignals > 0 && device.IdleWaits(0) == 2));
        device.Notify(0);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.IdleWaits(0) == 3), "the second notification was not served");
        Assert.Equal(1, _interrupt.NeedsResetSignals);
        Assert.Contains("descriptor index 200", device.QueueBrokenReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reset_stops_the_worker_and_activation_starts_it_again()
    {
        VirtioBlockDevice device = Start();
        device.Reset(); // joins the device thread: nothing is left to serve the queue until the next activation
        ushort before = _queue.UsedIdx;
        _queue.AddChain(ChainBuffer.In(Header(Flush, 0)), ChainBuffer.Out(1));
        device.Notify(0);
        Assert.Equal(before, _queue.UsedIdx);

        device.Activate(new VirtioActivation(_queue.Memory, device.DeviceFeatures, [_queue.Config], _interrupt));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx != before));
    }

    [Fact]
    public void A_missing_image_is_a_clear_exception()
    {
        string missing = _path + ".missing";
        var e = Assert.Throws<DiskImageException>(() => new RawDiskImage(missing));
        Assert.Equal(missing, e.Path);
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Signalling_the_queue_notification_handle_is_a_notify_and_is_harmless_before_activation()
    {
        _device = new VirtioBlockDevice(new RawDiskImage(_path), "vdt", serial: null, queueSize: 16);
        Assert.Null(_device.QueueNotificationHandle(1));
        System.Runtime.InteropServices.SafeHandle handle = Assert.IsType<System.Runtime.InteropServices.SafeHandle>(
            _device.QueueNotificationHandle(0), exactMatch: false);
        Assert.Same(handle, _device.QueueNotificationHandle(0));

        EventFdWriter.Signal(handle); // before DRIVER_OK there is no device thread: nothing runs, nothing breaks
        Assert.Equal(0, _device.Counters.Requests);

        _device.Activate(new VirtioActivation(_queue.Memory, _device.DeviceFeatures, [_queue.Config], _interrupt));
        for (int i = 0; i < 3; i++)
        {
            ushort before = _queue.UsedIdx;
            BuiltChain chain = _queue.AddChain(ChainBuffer.In(Header(In, (ulong)i)), ChainBuffer.Out(512), ChainBuffer.Out(1));
            EventFdWriter.Signal(handle); // what KVM does on the guest's notify write, instead of Notify(0)
            Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx != before), "the signal did not wake the device");
            Assert.All(_queue.ReadBuffer(chain, 1), b => Assert.Equal(i + 1, b));
        }

        Assert.Equal(3, _device.Counters.Requests);
    }
}
