using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SharpVmm.Client;

/// <summary>
/// A typed <see cref="HttpClient"/> for Firecracker's API on a Unix socket: it drives any VMM that answers that API,
/// SharpVmm's <c>sharpvmm firecracker</c> or Firecracker itself. Each method is one request; an answer other than 2xx
/// throws <see cref="FirecrackerApiException"/> with the status and the <c>fault_message</c>. Bodies go through
/// source-generated JSON, so the client works under Native AOT. Safe to use from several threads at once.
/// </summary>
public sealed class FirecrackerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client for the API socket at <paramref name="socketPath"/>.</summary>
    public FirecrackerClient(string socketPath)
        : this(new HttpClient(CreateHandler(socketPath)) { BaseAddress = new Uri("http://localhost/") }, ownsHttp: true)
    {
    }

    /// <summary>
    /// A client over <paramref name="http"/> (a typed client from <c>IHttpClientFactory</c>, say): its handler must reach
    /// the socket (see <see cref="CreateHandler"/>) and its <see cref="HttpClient.BaseAddress"/> be <c>http://localhost/</c>.
    /// </summary>
    public FirecrackerClient(HttpClient http) : this(http, ownsHttp: false)
    {
    }

    private FirecrackerClient(HttpClient http, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _ownsHttp = ownsHttp;
        _http.BaseAddress ??= new Uri("http://localhost/");
    }

    /// <summary>A handler whose every connection is to the Unix socket at <paramref name="socketPath"/>.</summary>
    public static SocketsHttpHandler CreateHandler(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        return new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellation).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    /// <summary><c>GET /</c>: the instance's id and state.</summary>
    public Task<InstanceInfo> DescribeInstanceAsync(CancellationToken cancellationToken = default) =>
        GetAsync("/", ClientJsonContext.Default.InstanceInfo, cancellationToken);

    /// <summary><c>GET /version</c>: the VMM's version.</summary>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken = default) =>
        (await GetAsync("/version", ClientJsonContext.Default.VersionInfo, cancellationToken).ConfigureAwait(false)).Version;

    /// <summary><c>GET /machine-config</c>.</summary>
    public Task<MachineConfiguration> GetMachineConfigAsync(CancellationToken cancellationToken = default) =>
        GetAsync("/machine-config", ClientJsonContext.Default.MachineConfiguration, cancellationToken);

    /// <summary><c>GET /vm/config</c>: everything configured so far.</summary>
    public Task<FullVmConfiguration> GetVmConfigAsync(CancellationToken cancellationToken = default) =>
        GetAsync("/vm/config", ClientJsonContext.Default.FullVmConfiguration, cancellationToken);

    /// <summary><c>PUT /boot-source</c> (before start).</summary>
    public Task PutBootSourceAsync(BootSource bootSource, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "/boot-source", bootSource, ClientJsonContext.Default.BootSource, cancellationToken);

    /// <summary><c>PUT /machine-config</c> (before start).</summary>
    public Task PutMachineConfigAsync(MachineConfiguration machine, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "/machine-config", machine, ClientJsonContext.Default.MachineConfiguration, cancellationToken);

    /// <summary><c>PUT /drives/{drive_id}</c> (before start), the id taken from <paramref name="drive"/>.</summary>
    public Task PutDriveAsync(Drive drive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drive);
        return SendAsync(HttpMethod.Put, "/drives/" + Uri.EscapeDataString(drive.DriveId), drive, ClientJsonContext.Default.Drive, cancellationToken);
    }

    /// <summary><c>PUT /network-interfaces/{iface_id}</c> (before start), the id taken from <paramref name="networkInterface"/>.</summary>
    public Task PutNetworkInterfaceAsync(NetworkInterface networkInterface, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(networkInterface);
        return SendAsync(HttpMethod.Put, "/network-interfaces/" + Uri.EscapeDataString(networkInterface.IfaceId), networkInterface,
            ClientJsonContext.Default.NetworkInterface, cancellationToken);
    }

    /// <summary><c>PUT /actions</c> <c>InstanceStart</c>: boots the configured microVM.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => ActAsync("InstanceStart", cancellationToken);

    /// <summary><c>PUT /actions</c> <c>SendCtrlAltDel</c>: Ctrl+Alt+Del through the guest's keyboard controller.</summary>
    public Task SendCtrlAltDelAsync(CancellationToken cancellationToken = default) => ActAsync("SendCtrlAltDel", cancellationToken);

    /// <summary><c>PUT /actions</c> <c>FlushMetrics</c>: one metrics line now (the metrics file must have been configured).</summary>
    public Task FlushMetricsAsync(CancellationToken cancellationToken = default) => ActAsync("FlushMetrics", cancellationToken);

    /// <summary><c>PATCH /vm</c> <c>Paused</c>.</summary>
    public Task PauseAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, "/vm", new VmState("Paused"), ClientJsonContext.Default.VmState, cancellationToken);

    /// <summary><c>PATCH /vm</c> <c>Resumed</c>.</summary>
    public Task ResumeAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, "/vm", new VmState("Resumed"), ClientJsonContext.Default.VmState, cancellationToken);

    /// <summary><c>PUT /snapshot/create</c>: writes the paused microVM to a state file and a memory file.</summary>
    public Task CreateSnapshotAsync(SnapshotCreate snapshot, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "/snapshot/create", snapshot, ClientJsonContext.Default.SnapshotCreate, cancellationToken);

    /// <summary><c>PUT /snapshot/load</c>: on a fresh VMM, brings back the microVM a snapshot holds.</summary>
    public Task LoadSnapshotAsync(SnapshotLoad snapshot, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "/snapshot/load", snapshot, ClientJsonContext.Default.SnapshotLoad, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private Task ActAsync(string action, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, "/actions", new InstanceAction(action), ClientJsonContext.Default.InstanceAction, cancellationToken);

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/json");
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"GET {path}", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(info, cancellationToken).ConfigureAwait(false)
            ?? throw new FirecrackerApiException(response.StatusCode, "the answer's body is null", $"GET {path}");
    }

    private async Task SendAsync<T>(HttpMethod method, string path, T body, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, info) };
        request.Headers.Accept.ParseAdd("application/json");
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"{method} {path}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string request, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? fault;
        try
        {
            fault = JsonSerializer.Deserialize(text, ClientJsonContext.Default.ErrorBody)?.FaultMessage;
        }
        catch (JsonException)
        {
            fault = text.Length > 0 ? text : null;
        }

        throw new FirecrackerApiException(response.StatusCode, fault, request);
    }
}
