using System.Text.Json;

namespace SharpVmm.Configuration;

/// <summary>Reads and writes <see cref="VmConfig"/> as JSON; every mistake in the text is a <see cref="VmConfigurationException"/> naming its field.</summary>
public static class VmConfigJson
{
    /// <summary>The JSON text of <paramref name="config"/> (indented, nulls left out).</summary>
    public static string Serialize(VmConfig config) => JsonSerializer.Serialize(config, VmConfigJsonContext.Default.VmConfig);

    /// <summary>Parses <paramref name="json"/>; it is not validated beyond its shape (call <see cref="VmConfig.Validate"/>).</summary>
    /// <exception cref="VmConfigurationException">The text is not JSON, or a field is unknown, missing, null or of the wrong type.</exception>
    public static VmConfig Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, VmConfigJsonContext.Default.VmConfig)
                ?? throw new VmConfigurationException("(document)", "the configuration is null; expected an object");
        }
        catch (JsonException ex)
        {
            throw new VmConfigurationException(FieldOf(ex), ReasonOf(ex), ex);
        }
    }

    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    /// <exception cref="VmConfigurationException">The file cannot be read, or its text is not a configuration.</exception>
    public static VmConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new VmConfigurationException("(file)", $"cannot read {path}: {ex.Message}", ex);
        }

        return Parse(text);
    }

    // System.Text.Json reports where it was ("$.drives[1].path_on_host", or the object for a missing required field);
    // the message after its first sentence is advice for .NET developers, not for the file's author.
    private static string FieldOf(JsonException ex)
    {
        string path = ex.Path ?? "$";
        path = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        // The unknown field's own name is in the message; the path names it too, except at the top level.
        if (ex.Message.Contains("could not be mapped", StringComparison.Ordinal) && QuotedName(ex.Message) is string name &&
            !path.EndsWith(name, StringComparison.Ordinal))
        {
            path = path.Length == 0 ? name : $"{path}.{name}";
        }

        return path.Length == 0 ? "(document)" : path.Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal);
    }

    private static string ReasonOf(JsonException ex)
    {
        string message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown field";
        }

        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            int at = message.IndexOf("including:", StringComparison.Ordinal);
            return at < 0 ? "a required field is missing" : $"required field missing: {message[(at + "including:".Length)..].Trim().TrimEnd('.').Replace("'", "", StringComparison.Ordinal)}";
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("non-nullable", StringComparison.OrdinalIgnoreCase))
        {
            return "must not be null";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "has the wrong type or value" + (ex.InnerException is { Message: { } inner } ? $" ({inner})" : "");
        }

        int stop = message.IndexOf(" Path:", StringComparison.Ordinal);
        string reason = stop > 0 ? message[..stop] : message;
        return ex.LineNumber is long line ? $"{reason} (line {line + 1}, column {ex.BytePositionInLine + 1})" : reason;
    }

    private static string? QuotedName(string message)
    {
        int start = message.IndexOf('\'', StringComparison.Ordinal);
        int end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : null;
    }
}
