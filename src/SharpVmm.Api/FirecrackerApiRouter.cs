using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace SharpVmm.Api;

/// <summary>
/// Firecracker's API routes over a <see cref="FirecrackerVmm"/>: every request is answered 200 with a body, 204, or 400
/// with <c>{"fault_message": ...}</c>, as Firecracker answers; an endpoint SharpVmm does not have yet, or an unknown
/// one, is a 400 that says so, never a 404.
/// </summary>
public sealed class FirecrackerApiRouter(FirecrackerVmm vmm, int maxPayloadBytes = FirecrackerApiRouter.DefaultMaxPayloadBytes)
{
    /// <summary>Firecracker's default limit on a request body (<c>--http-api-max-payload-size</c>).</summary>
    public const int DefaultMaxPayloadBytes = 51_200;

    // Messages quote ids with apostrophes; the default encoder would write them as \u0027.
    private static readonly ApiJsonContext Json = new(new JsonSerializerOptions(ApiJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static readonly string[] NotYet = ["/balloon/hinting", "/mmds", "/hotplug/memory", "/pmem", "/cpu-config"];

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        bool failed = false;
        try
        {
            byte[] body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
            await RouteAsync(context, context.Request.Method, context.Request.Path.Value ?? "/", body).ConfigureAwait(false);
        }
        catch (ApiRequestException ex)
        {
            failed = true;
            await WriteAsync(context, ex.StatusCode, new ApiError(ex.Message), Json.ApiError).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the API's last resort: a bug answers 500 with its message, the VMM goes on
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            failed = true;
            await WriteAsync(context, 500, new ApiError($"internal error: {ex.GetType().Name}: {ex.Message}"), Json.ApiError).ConfigureAwait(false);
        }
        finally
        {
            vmm.Metrics.CountRequest(failed);
        }
    }

    private Task RouteAsync(HttpContext context, string method, string path, byte[] body)
    {
        string trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        switch (method, trimmed)
        {
            case ("GET", "/"):
                return WriteAsync(context, 200, vmm.Describe(), Json.InstanceInfo);
            case ("GET", "/version"):
                return WriteAsync(context, 200, new FirecrackerVersion(FirecrackerVmm.VmmVersion), Json.FirecrackerVersion);
            case ("GET", "/vm/config"):
                return WriteAsync(context, 200, vmm.CurrentConfig(), Json.VmConfig);
            case ("GET", "/machine-config"):
                return WriteAsync(context, 200, vmm.MachineConfig(), Json.MachineConfig);
            case ("PUT", "/boot-source"):
                vmm.PutBootSource(Parse(body, Json.BootSourceConfig));
                break;
            case ("PUT", "/machine-config"):
                vmm.PutMachineConfig(Parse(body, Json.MachineConfig));
                break;
            case ("PATCH", "/machine-config"):
                vmm.PatchMachineConfig(ParseObject(body));
                break;
            case ("PUT", "/entropy"):
                vmm.PutEntropy(Parse(body, Json.EntropyConfig));
                break;
            case ("PUT", "/balloon"):
                vmm.PutBalloon(Parse(body, Json.BalloonConfig));
                break;
            case ("PATCH", "/balloon"):
                vmm.PatchBalloon(Parse(body, Json.BalloonUpdate));
                break;
            case ("GET", "/balloon"):
                return WriteAsync(context, 200, vmm.GetBalloon(), Json.BalloonConfig);
            case ("GET", "/balloon/statistics"):
                return WriteAsync(context, 200, vmm.GetBalloonStatistics(), Json.BalloonStatistics);
            case ("PATCH", "/balloon/statistics"):
                vmm.PatchBalloonStatistics(Parse(body, Json.BalloonStatsUpdate));
                break;
            case ("PUT", "/vsock"):
                vmm.PutVsock(Parse(body, Json.VsockConfig));
                break;
            case ("PUT", "/serial"):
                vmm.PutSerial(Parse(body, Json.SerialConfig));
                break;
            case ("PUT", "/logger"):
                vmm.Log.Configure(Parse(body, Json.LoggerConfig));
                break;
            case ("PUT", "/metrics"):
                vmm.Metrics.Configure(Parse(body, Json.MetricsConfig));
                break;
            case ("PUT", "/actions"):
                vmm.Act(Parse(body, Json.InstanceActionInfo));
                break;
            case ("PATCH", "/vm"):
                vmm.SetState(Parse(body, Json.VmStateUpdate));
                break;
            case ("PUT", "/snapshot/create"):
                vmm.CreateSnapshot(Parse(body, Json.SnapshotCreateParams));
                break;
            case ("PUT", "/snapshot/load"):
                vmm.LoadSnapshot(Parse(body, Json.SnapshotLoadParams));
                break;
            case ("PUT", _) when Item(trimmed, "/drives/") is { } id:
                vmm.PutDrive(id, Parse(body, Json.DriveConfig));
                break;
            case ("PATCH", _) when Item(trimmed, "/drives/") is { } id:
                vmm.PatchDrive(id, Parse(body, Json.PartialDrive));
                break;
            case ("PUT", _) when Item(trimmed, "/network-interfaces/") is { } id:
                vmm.PutNetworkInterface(id, Parse(body, Json.NetworkInterfaceConfig));
                break;
            case ("PATCH", _) when Item(trimmed, "/network-interfaces/") is { } id:
                vmm.PatchNetworkInterface(id, Parse(body, Json.PartialNetworkInterface));
                break;
            case (_, _) when NotYet.FirstOrDefault(p => trimmed == p || trimmed.StartsWith(p + "/", StringComparison.Ordinal)) is { } resource:
                throw new ApiRequestException($"{resource} is not supported by SharpVmm yet.");
            default:
                throw new ApiRequestException($"Invalid request method and/or path: {method} {path}.");
        }

        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private static string? Item(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path.IndexOf('/', prefix.Length) < 0
            ? Uri.UnescapeDataString(path[prefix.Length..])
            : null;

    private async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is long declared && declared > maxPayloadBytes)
        {
            throw new ApiRequestException($"Request payload with size {declared} is larger than the limit of {maxPayloadBytes} allowed by server.");
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxPayloadBytes)
            {
                throw new ApiRequestException($"Request payload with size {buffer.Length}+ is larger than the limit of {maxPayloadBytes} allowed by server.");
            }
        }

        return buffer.ToArray();
    }

    private static T Parse<T>(byte[] body, JsonTypeInfo<T> info)
    {
        if (body.Length == 0)
        {
            throw new ApiRequestException("Empty request body: this request needs a JSON body.");
        }

        try
        {
            return JsonSerializer.Deserialize(body, info) ?? throw new ApiRequestException("The request body is null.");
        }
        catch (JsonException ex)
        {
            throw new ApiRequestException($"An error occurred when deserializing the json body of a request: {Describe(ex)}");
        }
    }

    private static JsonObject ParseObject(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new ApiRequestException("The request body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ApiRequestException($"An error occurred when deserializing the json body of a request: {Describe(ex)}");
        }
    }

    private static string Describe(JsonException ex)
    {
        int stop = ex.Message.IndexOf(" Path:", StringComparison.Ordinal);
        string message = stop > 0 ? ex.Message[..stop] : ex.Message;
        return ex.Path is { Length: > 1 } path ? $"{message} (at {path})" : message;
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> info)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, info).ConfigureAwait(false);
    }
}
