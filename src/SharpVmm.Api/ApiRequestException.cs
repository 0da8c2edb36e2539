namespace SharpVmm.Api;

/// <summary>A request the API refuses: answered with <see cref="StatusCode"/> (400 unless said) and the message as <c>fault_message</c>.</summary>
public sealed class ApiRequestException(string message, int statusCode = 400) : Exception(message)
{
    /// <summary>The HTTP status to answer with.</summary>
    public int StatusCode { get; } = statusCode;
}
