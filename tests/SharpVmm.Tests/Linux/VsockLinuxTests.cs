using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The guest kernel's virtio-vsock driver against the VMM's Unix-socket side, Firecracker's protocol: a host process
/// connects to the VM's socket and asks for a guest port with <c>CONNECT</c>, and a guest connection to host port P
/// reaches the host's listener at <c>UDS_P</c>. In the guest, guests/sock-tool echoes (it needs guest user mode).
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public partial class VsockLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private const int EchoPort = 5000, GuestToHostPort = 6000, GatePort = 6001;

    // The guest starts an echo server, makes one connection of its own to the host, then waits on a second (the
    // gate) until the host has done its part, and reboots.
    private const string Init = """
        #!/bin/sh
        mount -t proc proc /proc
        /sock-tool echo-server vsock:5000 &
        /sock-tool echo vsock:2:6000 hello-from-the-guest; echo
        /sock-tool echo vsock:2:6001 guest-waits-at-the-gate; echo
        reboot -f
        """;

    [Theory]
    [InlineData("pci")]
    [InlineData("mmio")]
    public async Task Host_and_guest_connect_both_ways_100_connections_run_at_once_and_64_MiB_arrive_intact(string transport)
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        string uds = dir.File("v.sock");
        using Socket guestToHost = Listen($"{uds}_{GuestToHostPort}");
        using Socket gate = Listen($"{uds}_{GatePort}");
        Task<string> guestSaid = Task.Run(() => AnswerOnce(guestToHost, "host-saw:"), TestContext.Current.CancellationToken);
        using FirecrackerProcess vm = BootEchoGuest(dir, uds, ["--mem", "256M", "--virtio", transport]);

        // Guest to host: the guest's connection to host port 6000 came to UDS_6000, and the answer went back.
        Assert.Equal("hello-from-the-guest", await guestSaid.WaitAsync(Limit, TestContext.Current.CancellationToken));
        vm.WaitForConsole("host-saw:hello-from-the-guest", Limit);

        // Host to guest: CONNECT, OK, an echo, and EOF once the host shuts its side down.
        using (Socket one = ConnectToGuest(uds, EchoPort))
        {
            one.Send("ping over vsock"u8);
            one.Shutdown(SocketShutdown.Send);
            Assert.Equal("ping over vsock", Encoding.ASCII.GetString(ReadToEnd(one)));
        }

        // 100 connections open at once, each with its own message.
        var many = new List<Socket>();
        try
        {
            for (int i = 0; i < 100; i++)
            {
                many.Add(ConnectToGuest(uds, EchoPort));
            }

            for (int i = 0; i < many.Count; i++)
            {
                many[i].Send(Encoding.ASCII.GetBytes($"connection {i} of 100"));
                many[i].Shutdown(SocketShutdown.Send);
            }

            for (int i = 0; i < many.Count; i++)
            {
                Assert.Equal($"connection {i} of 100", Encoding.ASCII.GetString(ReadToEnd(many[i])));
            }
        }
        finally
        {
            many.ForEach(s => s.Dispose());
        }

        // 64 MiB through the guest's echo, written and read at once, arrive intact.
        byte[] data = RandomNumberGenerator.GetBytes(64 << 20);
        using (Socket bulk = ConnectToGuest(uds, EchoPort))
        {
            Task send = Task.Run(() =>
            {
                bulk.Send(data);
                bulk.Shutdown(SocketShutdown.Send);
            }, TestContext.Current.CancellationToken);
            byte[] back = ReadToEnd(bulk);
            await send.WaitAsync(Limit, TestContext.Current.CancellationToken);
            Assert.Equal(data.Length, back.Length);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        }

        // Open the gate: the guest reboots, which ends the VMM.
        Assert.Equal("guest-waits-at-the-gate", AnswerOnce(gate, "bye:"));
        int exit = vm.WaitForExit(Limit);
        Assert.True(exit == 0, $"exit code {exit}\n{vm.Describe()}");
        Assert.Contains(GuestEnding.KeyboardControllerReset, vm.Stderr, StringComparison.Ordinal);
        Match counters = VsockLine().Match(vm.Stderr);
        Assert.True(counters.Success, $"no vsock counters line in:\n{vm.Stderr}");
    }

    [Fact]
    public async Task A_connect_to_a_guest_port_nobody_listens_on_closes_the_host_connection()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        string uds = dir.File("v.sock");
        using Socket guestToHost = Listen($"{uds}_{GuestToHostPort}");
        using Socket gate = Listen($"{uds}_{GatePort}");
        Task<string> guestSaid = Task.Run(() => AnswerOnce(guestToHost, "host-saw:"), TestContext.Current.CancellationToken);
        using FirecrackerProcess vm = BootEchoGuest(dir, uds, ["--mem", "128M"]);
        await guestSaid.WaitAsync(Limit, TestContext.Current.CancellationToken); // the guest's own connection came

        using (var nobody = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            nobody.Connect(new UnixDomainSocketEndPoint(uds));
            nobody.Send("CONNECT 4999\n"u8);
            nobody.ReceiveTimeout = (int)Limit.TotalMilliseconds;
            Assert.Empty(ReadToEnd(nobody)); // the guest answered RST: no "OK", the VMM closed the connection
        }

        using (Socket still = ConnectToGuest(uds, EchoPort)) // and the device still works
        {
            still.Send("after the refusal"u8);
            still.Shutdown(SocketShutdown.Send);
            Assert.Equal("after the refusal", Encoding.ASCII.GetString(ReadToEnd(still)));
        }

        AnswerOnce(gate, "bye:");
        Assert.Equal(0, vm.WaitForExit(Limit));
    }

    /// <summary>Boots the guest of <see cref="Init"/> with its vsock at <paramref name="uds"/>, and waits for its echo server.</summary>
    private static FirecrackerProcess BootEchoGuest(TempDirectory dir, string uds, string[] machine)
    {
        string initrd = dir.File("initrd.cpio");
        File.WriteAllBytes(initrd, new BusyboxInitramfs
        {
            InitScript = Init,
            ExtraFiles = new Dictionary<string, byte[]> { ["/sock-tool"] = File.ReadAllBytes(GuestTools.SockTool) },
        }.ToArray());
        var vm = FirecrackerProcess.StartCommand(
            ["boot", "--kernel", GuestKernel.Vmlinux, "--initrd", initrd, .. machine, "--vsock", $"cid=3,uds={uds}",
                "--append", GuestKernel.BaseCommandLine, "--time-limit", ((int)Limit.TotalSeconds).ToString(CultureInfo.InvariantCulture)]);
        vm.WaitForConsole("sock-tool: listening on vsock:5000", Limit);
        return vm;
    }

    private static Socket Listen(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(8);
        return listener;
    }

    /// <summary>Accepts one connection, reads it to EOF, answers <paramref name="prefix"/> + what it read, and closes.</summary>
    private static string AnswerOnce(Socket listener, string prefix)
    {
        using Socket connection = listener.Accept();
        string text = Encoding.ASCII.GetString(ReadToEnd(connection));
        connection.Send(Encoding.ASCII.GetBytes(prefix + text));
        return text;
    }

    /// <summary>Firecracker's host-initiated connection: <c>CONNECT port\n</c>, answered with <c>OK host_port\n</c>.</summary>
    private static Socket ConnectToGuest(string uds, int port)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = (int)Limit.TotalMilliseconds };
        socket.Connect(new UnixDomainSocketEndPoint(uds));
        socket.Send(Encoding.ASCII.GetBytes($"CONNECT {port}\n"));
        var line = new StringBuilder();
        var one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        Assert.Matches(OkLine(), line.ToString());
        return socket;
    }

    private static byte[] ReadToEnd(Socket socket)
    {
        using var received = new MemoryStream();
        var buffer = new byte[256 * 1024];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }

    [GeneratedRegex(@"^OK \d+$")]
    private static partial Regex OkLine();

    [GeneratedRegex(@"vsock: .*")]
    private static partial Regex VsockLine();
}
