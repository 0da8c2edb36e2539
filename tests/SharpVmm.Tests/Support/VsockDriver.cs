using System.Net.Sockets;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Vsock;
using SharpVmm.Memory;

namespace SharpVmm.Tests.Support;

/// <summary>A packet the device put on the rx queue.</summary>
internal sealed record VsockPacket(VsockHeader Header, byte[] Payload)
{
    public VsockOp Op => Header.Operation;
}

/// <summary>
/// Plays a virtio-vsock driver for device tests: rx, tx and event queues in one guest memory, rx buffers posted and
/// read back as packets, tx packets built from headers, and a real Unix socket path in a temp folder.
/// </summary>
internal sealed class VsockDriver : IDisposable
{
    public const ulong GuestCid = 3;
    public const uint RxBufferSize = 4096 + VsockHeader.Size;
    private const ushort QueueSize = 256;

    private readonly Dictionary<ushort, BuiltChain> _rxChains = [];
    private readonly Dictionary<ushort, BuiltChain> _eventChains = [];
    private readonly List<VsockPacket> _received = [];
    private int _rxSeen, _eventSeen;
    private int _rxPosted;

    public VsockDriver(int maxConnections = VirtioVsockDevice.DefaultMaxConnections)
    {
        Memory = GuestMemory.CreateFlat(8UL << 20);
        Rx = new VirtQueueBuilder(QueueSize, Memory, dataBase: 0x100000, dataEnd: 0x300000);
        Tx = new VirtQueueBuilder(QueueSize, Memory, dataBase: 0x300000, dataEnd: 0x700000);
        Events = new VirtQueueBuilder(8, Memory, dataBase: 0x700000, dataEnd: 0x710000);
        Move(Tx, 0x8000);
        Move(Events, 0x10000);
        UdsPath = Directory.File("v.sock");
        Device = new VirtioVsockDevice(GuestCid, UdsPath, QueueSize, maxConnections);
    }

    public TempDirectory Directory { get; } = new();

    public GuestMemory Memory { get; }

    public VirtQueueBuilder Rx { get; }

    public VirtQueueBuilder Tx { get; }

    public VirtQueueBuilder Events { get; }

    public FakeVirtioInterrupt Interrupt { get; } = new();

    public string UdsPath { get; }

    public VirtioVsockDevice Device { get; private set; }

    public void Activate(IReadOnlyList<VirtQueueState?>? restored = null) =>
        Device.Activate(new VirtioActivation(Memory, VirtioFeatures.Version1, [Rx.Config, Tx.Config, Events.Config], Interrupt)
        {
            RestoredQueues = restored,
        });

    /// <summary>Swaps in a fresh device on the same queues (a restore in a new process); the old one is disposed.</summary>
    public void ReplaceDevice()
    {
        Device.Dispose();
        Device = new VirtioVsockDevice(GuestCid, UdsPath, QueueSize);
    }

    /// <summary>Posts <paramref name="count"/> rx buffers of <paramref name="size"/> bytes (never more than the ring holds:
    /// a descriptor is reused only once its used entry was read).</summary>
    public void PostRx(int count, uint size = RxBufferSize)
    {
        _ = Received;
        for (int i = 0; i < count && _rxPosted - _rxSeen < QueueSize; i++)
        {
            BuiltChain chain = Rx.AddChain(ChainBuffer.Out(size));
            _rxChains[chain.Head] = chain;
            _rxPosted++;
        }

        Device.Notify(VirtioVsockDevice.RxQueue);
    }

    public void PostEvent()
    {
        BuiltChain chain = Events.AddChain(ChainBuffer.Out(8));
        _eventChains[chain.Head] = chain;
        Device.Notify(VirtioVsockDevice.EventQueue);
    }

    /// <summary>The event ids the device wrote so far.</summary>
    public List<uint> ReadEvents()
    {
        var ids = new List<uint>();
        for (; _eventSeen < Events.UsedIdx; _eventSeen++)
        {
            (uint id, uint length) = Events.Used(_eventSeen);
            byte[] data = Events.ReadBuffer(_eventChains[(ushort)id], 0);
            ids.Add(length >= 4 ? BitConverter.ToUInt32(data, 0) : uint.MaxValue);
        }

        return ids;
    }

    public VsockHeader Header(VsockOp op, uint guestPort, uint hostPort, uint length = 0, uint bufAlloc = 256 * 1024, uint fwdCnt = 0, uint flags = 0) => new()
    {
        SourceCid = GuestCid,
        DestinationCid = VirtioVsockDevice.HostCid,
        SourcePort = guestPort,
        DestinationPort = hostPort,
        Length = length,
        Type = VsockHeader.TypeStream,
        Op = (ushort)op,
        Flags = flags,
        BufferAllocation = bufAlloc,
        ForwardCount = fwdCnt,
    };

    /// <summary>Puts a packet on the tx queue and waits until the device used it.</summary>
    public void Send(VsockHeader header, ReadOnlySpan<byte> payload = default)
    {
        var raw = new byte[VsockHeader.Size + payload.Length];
        header.Encode(raw);
        payload.CopyTo(raw.AsSpan(VsockHeader.Size));
        SendRaw(raw);
    }

    public void SendRaw(byte[] raw)
    {
        ushort target = (ushort)(Tx.AvailIdx + 1);
        Tx.AddChain(ChainBuffer.In(raw));
        Device.Notify(VirtioVsockDevice.TxQueue);
        if (!FakeVirtioInterrupt.WaitFor(() => (ushort)(Tx.UsedIdx - target) < 0x8000))
        {
            throw new TimeoutException("the device never used a tx packet");
        }
    }

    /// <summary>Every packet the device delivered so far, in order.</summary>
    public IReadOnlyList<VsockPacket> Received
    {
        get
        {
            for (; _rxSeen < Rx.UsedIdx; _rxSeen++)
            {
                (uint id, uint length) = Rx.Used(_rxSeen);
                byte[] data = Rx.ReadBuffer(_rxChains[(ushort)id], 0);
                VsockHeader header = VsockHeader.Decode(data);
                _received.Add(new VsockPacket(header, data.AsSpan(VsockHeader.Size, (int)length - VsockHeader.Size).ToArray()));
            }

            return _received;
        }
    }

    /// <summary>Waits up to 30 s for a delivered packet that matches, and takes it out of <see cref="Received"/>.</summary>
    public VsockPacket Expect(Func<VsockPacket, bool> match, string what)
    {
        VsockPacket? found = null;
        if (!FakeVirtioInterrupt.WaitFor(() => (found = Received.FirstOrDefault(match)) is not null))
        {
            string seen = string.Join(", ", Received.Select(p => $"{p.Op} {p.Header.SourcePort}->{p.Header.DestinationPort} len {p.Header.Length}"));
            throw new TimeoutException($"no {what} arrived on rx; got: {seen}");
        }

        _received.Remove(found!);
        return found!;
    }

    /// <summary>Connects a host process to the device's socket and sends <c>CONNECT port</c>.</summary>
    public Socket HostConnect(uint guestPort)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(UdsPath));
        socket.Send(System.Text.Encoding.ASCII.GetBytes($"CONNECT {guestPort}\n"));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    /// <summary>A host connection the guest accepted: CONNECT, the REQUEST answered with RESPONSE, <c>OK</c> read. Returns the host port.</summary>
    public uint Establish(Socket host, uint guestPort, uint bufAlloc = 256 * 1024)
    {
        VsockPacket request = Expect(p => p.Op == VsockOp.Request && p.Header.DestinationPort == guestPort, $"REQUEST to port {guestPort}");
        uint hostPort = request.Header.SourcePort;
        Send(Header(VsockOp.Response, guestPort, hostPort, bufAlloc: bufAlloc));
        string ok = ReadLine(host);
        if (ok != $"OK {hostPort}")
        {
            throw new InvalidOperationException($"expected OK {hostPort}, read '{ok}'");
        }

        return hostPort;
    }

    /// <summary>Activates the device, posts <paramref name="rxBuffers"/> rx buffers and opens one host connection to
    /// <paramref name="guestPort"/> that the guest accepts.</summary>
    public (Socket Host, uint HostPort) ActivateAndConnect(uint guestPort, int rxBuffers = 8, uint bufAlloc = 256 * 1024)
    {
        Activate();
        PostRx(rxBuffers);
        Socket host = HostConnect(guestPort);
        return (host, Establish(host, guestPort, bufAlloc));
    }

    public static string ReadLine(Socket socket)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != '\n')
        {
            line.Add(one[0]);
        }

        return System.Text.Encoding.ASCII.GetString([.. line]);
    }

    public static byte[] ReadExactly(Socket socket, int count)
    {
        var data = new byte[count];
        int done = 0;
        while (done < count)
        {
            int read = socket.Receive(data, done, count - done, SocketFlags.None);
            if (read == 0)
            {
                throw new EndOfStreamException($"the socket ended after {done} of {count} bytes");
            }

            done += read;
        }

        return data;
    }

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
        Directory.Dispose();
    }

    private static void Move(VirtQueueBuilder queue, ulong at)
    {
        queue.Config.DescriptorTable = new GuestAddress(at);
        queue.Config.DriverArea = new GuestAddress(at + (16UL * queue.Size));
        queue.Config.DeviceArea = new GuestAddress((at + (16UL * queue.Size) + 6 + (2UL * queue.Size) + 3) & ~3UL);
    }
}
