using System.Text.Json;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Checks a JSON value against an OpenAPI 2.0 schema as Microsoft.OpenApi.Readers gives it ($refs already resolved):
/// the type, required properties, each known property (recursively), array items, enum values, minimum and maximum.
/// Properties the schema does not name are allowed, as OpenAPI 2.0 allows them unless the schema says otherwise.
/// </summary>
public static class OpenApiSchemaChecker
{
    /// <summary>Every way <paramref name="value"/> breaks <paramref name="schema"/>, each with its JSON path; empty when it conforms.</summary>
    public static IReadOnlyList<string> Check(OpenApiSchema schema, JsonElement value, string path = "$")
    {
        var errors = new List<string>();
        Walk(schema, value, path, errors);
        return errors;
    }

    private static void Walk(OpenApiSchema schema, JsonElement value, string path, List<string> errors)
    {
        foreach (OpenApiSchema part in schema.AllOf)
        {
            Walk(part, value, path, errors);
        }

        if (schema.Type is { } type && !HasType(value, type))
        {
            errors.Add($"{path}: expected {type}, found {value.ValueKind}");
            return;
        }

        if (schema.Enum is { Count: > 0 } choices)
        {
            string[] allowed = [.. choices.Select(Text)];
            string actual = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            if (!allowed.Contains(actual))
            {
                errors.Add($"{path}: '{actual}' is not one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}");
            }
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            decimal number = value.GetDecimal();
            if (schema.Minimum is { } min && number < min)
            {
                errors.Add($"{path}: {number} is below the minimum {min}");
            }

            if (schema.Maximum is { } max && number > max)
            {
                errors.Add($"{path}: {number} is above the maximum {max}");
            }
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (string name in schema.Required.Where(name => !value.TryGetProperty(name, out _)))
            {
                errors.Add($"{path}: required property '{name}' is missing");
            }

            foreach (JsonProperty property in value.EnumerateObject())
            {
                if (schema.Properties.TryGetValue(property.Name, out OpenApiSchema? inner))
                {
                    Walk(inner, property.Value, $"{path}.{property.Name}", errors);
                }
                else if (schema.AdditionalPropertiesAllowed is false)
                {
                    errors.Add($"{path}: property '{property.Name}' is not allowed");
                }
                else if (schema.AdditionalProperties is { } additional)
                {
                    Walk(additional, property.Value, $"{path}.{property.Name}", errors);
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.Items is { } items)
        {
            int i = 0;
            foreach (JsonElement item in value.EnumerateArray())
            {
                Walk(items, item, $"{path}[{i++}]", errors);
            }
        }
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) || value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        _ => true,
    };

    private static string Text(IOpenApiAny any) => any switch
    {
        OpenApiString s => s.Value,
        OpenApiInteger i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        OpenApiLong l => l.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        OpenApiBoolean b => b.Value ? "true" : "false",
        _ => any.ToString() ?? "",
    };
}
