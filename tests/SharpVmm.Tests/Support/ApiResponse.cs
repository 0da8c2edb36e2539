using System.Text.Json;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>One answer of the API as curl saw it: the status code and the body.</summary>
public sealed record ApiResponse(int Status, string Body)
{
    /// <summary>The body as JSON (fails the test when it is not).</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                return JsonDocument.Parse(Body).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                Assert.Fail($"the body is not JSON ({ex.Message}): {Body}");
                throw;
            }
        }
    }

    /// <summary>The error body's <c>fault_message</c> (fails the test when there is none).</summary>
    public string FaultMessage
    {
        get
        {
            Assert.True(Json.TryGetProperty("fault_message", out JsonElement message) && message.ValueKind == JsonValueKind.String,
                $"no fault_message in {this}");
            return message.GetString()!;
        }
    }

    /// <summary>A string property of the JSON body.</summary>
    public string String(string name) => Json.GetProperty(name).GetString()!;

    /// <inheritdoc />
    public override string ToString() => $"{Status} {Body}";
}
