using System.Text.Json;
using System.Text.Json.Nodes;
using SharpVmm.Configuration;

namespace SharpVmm.Api;

/// <summary>
/// Firecracker's <c>--config-file</c>: a <see cref="VmConfig"/> plus the two sections that configure the VMM rather
/// than the VM, <c>logger</c> and <c>metrics</c>, which take the same bodies as <c>PUT /logger</c> and
/// <c>PUT /metrics</c>. The VM part is read by <see cref="VmConfigJson"/>, so its errors name their field the same way.
/// </summary>
/// <param name="Vm">The VM to build.</param>
/// <param name="Logger">The <c>logger</c> section, if the file has one.</param>
/// <param name="Metrics">The <c>metrics</c> section, if the file has one.</param>
public sealed record FirecrackerConfigFile(VmConfig Vm, LoggerConfig? Logger, MetricsConfig? Metrics)
{
    /// <summary>Parses a configuration file's text.</summary>
    /// <exception cref="VmConfigurationException">The text is not JSON, or a field is unknown, missing or of the wrong type.</exception>
    public static FirecrackerConfigFile Parse(string json)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new VmConfigurationException("(document)", "expected a JSON object");
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is long line ? $" (line {line + 1}, column {ex.BytePositionInLine + 1})" : "";
            throw new VmConfigurationException("(document)", $"not valid JSON{where}", ex);
        }

        LoggerConfig? logger = Section(root, "logger", ApiJsonContext.Default.LoggerConfig);
        MetricsConfig? metrics = Section(root, "metrics", ApiJsonContext.Default.MetricsConfig);
        return new FirecrackerConfigFile(VmConfigJson.Parse(root.ToJsonString()), logger, metrics);
    }

    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    /// <exception cref="VmConfigurationException">The file cannot be read, or its text is not a configuration.</exception>
    public static FirecrackerConfigFile Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new VmConfigurationException("(file)", $"cannot read {path}: {ex.Message}", ex);
        }
    }

    private static T? Section<T>(JsonObject root, string name, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (!root.Remove(name, out JsonNode? node) || node is null)
        {
            return null;
        }

        try
        {
            return node.Deserialize(type) ?? throw new VmConfigurationException(name, "must not be null");
        }
        catch (JsonException ex)
        {
            string path = ex.Path is { Length: > 1 } p ? $"{name}{p.TrimStart('$')}" : name;
            throw new VmConfigurationException(path, ex.Message.Split(". ")[0], ex);
        }
    }
}
