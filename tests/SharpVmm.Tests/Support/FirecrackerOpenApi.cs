using System.Text.Json;
using Microsoft.OpenApi.Models;
using Microsoft.OpenApi.Readers;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Firecracker's API specification (OpenAPI 2.0), read with Microsoft.OpenApi.Readers from
/// <c>../shared/reference/firecracker-api.yaml</c> beside the repository, and the check every API test makes of each
/// answer against it: the status code is declared for that path and method (or the operation has a <c>default</c>),
/// and a JSON body validates against that response's schema (<see cref="OpenApiSchemaChecker"/>). A path or method the
/// specification does not have must be answered 400 with Firecracker's error body.
/// </summary>
public static class FirecrackerOpenApi
{
    private static readonly Lazy<OpenApiDocument> Spec = new(Load);

    /// <summary>Where the specification is: <c>shared/reference/</c> beside the repository's root.</summary>
    public static string SpecPath => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "reference", "firecracker-api.yaml"));

    /// <summary>The parsed specification.</summary>
    public static OpenApiDocument Document => Spec.Value;

    /// <summary>Fails the test unless <paramref name="response"/> is what the specification allows for <paramref name="method"/> <paramref name="path"/>.</summary>
    public static void AssertConforms(string method, string path, ApiResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        string where = $"{method} {path} answered {response.Status}: {response.Body}";
        OpenApiOperation? operation = FindOperation(method, path);
        if (operation is null)
        {
            Assert.True(response.Status == 400, $"{where}\nthe specification has no {method} {path}, so Firecracker answers 400");
            AssertBody(ErrorSchema, response, where);
            return;
        }

        string code = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(operation.Responses.TryGetValue(code, out OpenApiResponse? declared) || operation.Responses.TryGetValue("default", out declared),
            $"{where}\nthe specification declares only {string.Join(", ", operation.Responses.Keys)} for {method} {path}");
        OpenApiSchema? schema = declared!.Content.Values.Select(c => c.Schema).FirstOrDefault(s => s is not null);
        if (schema is null)
        {
            Assert.True(response.Body.Length == 0, $"{where}\nthe specification declares no body for {code}");
            return;
        }

        AssertBody(schema, response, where);
    }

    /// <summary>The operation whose path template matches <paramref name="path"/> (<c>/drives/{drive_id}</c> for <c>/drives/rootfs</c>), or null.</summary>
    public static OpenApiOperation? FindOperation(string method, string path)
    {
        if (!Enum.TryParse(method, ignoreCase: true, out OperationType type))
        {
            return null;
        }

        string[] segments = Segments(path);
        foreach ((string template, OpenApiPathItem item) in Document.Paths)
        {
            string[] parts = Segments(template);
            bool match = parts.Length == segments.Length &&
                parts.Zip(segments).All(p => p.First.StartsWith('{') || p.First == p.Second);
            if (match && item.Operations.TryGetValue(type, out OpenApiOperation? operation))
            {
                return operation;
            }
        }

        return null;
    }

    private static OpenApiSchema ErrorSchema => Document.Components.Schemas["Error"];

    private static void AssertBody(OpenApiSchema schema, ApiResponse response, string where)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(response.Body);
        }
        catch (JsonException ex)
        {
            Assert.Fail($"{where}\nthe body is not JSON: {ex.Message}");
            return;
        }

        using (json)
        {
            IReadOnlyList<string> errors = OpenApiSchemaChecker.Check(schema, json.RootElement);
            Assert.True(errors.Count == 0, $"{where}\nthe body breaks the specification's schema:\n{string.Join('\n', errors)}");
        }
    }

    private static string[] Segments(string path) => path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static OpenApiDocument Load()
    {
        string path = SpecPath;
        Assert.True(File.Exists(path), $"{path} is missing: the tests read Firecracker's API specification from shared/reference/ beside the repository (CI lays shared/ there)");
        using FileStream stream = File.OpenRead(path);
        OpenApiDocument document = new OpenApiStreamReader().Read(stream, out OpenApiDiagnostic diagnostic);
        Assert.True(diagnostic.Errors.Count == 0, $"{path} did not read cleanly: {string.Join("; ", diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}"))}");
        return document;
    }
}
