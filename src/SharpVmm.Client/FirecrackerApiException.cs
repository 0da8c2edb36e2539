using System.Net;

namespace SharpVmm.Client;

/// <summary>A Firecracker-API VMM answered a request with a status other than 2xx; <see cref="FaultMessage"/> says why.</summary>
public sealed class FirecrackerApiException : Exception
{
    /// <summary>Creates the exception for an answer <paramref name="statusCode"/> to <paramref name="request"/>.</summary>
    public FirecrackerApiException(HttpStatusCode statusCode, string? faultMessage, string request)
        : base($"{request} answered {(int)statusCode}: {faultMessage ?? "(no fault_message)"}")
    {
        StatusCode = statusCode;
        FaultMessage = faultMessage;
        Request = request;
    }

    /// <summary>Creates an exception with only a message.</summary>
    public FirecrackerApiException() : this(HttpStatusCode.InternalServerError, null, "(unknown request)")
    {
    }

    /// <summary>Creates an exception with only a message.</summary>
    public FirecrackerApiException(string message) : base(message)
    {
        Request = "(unknown request)";
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public FirecrackerApiException(string message, Exception innerException) : base(message, innerException)
    {
        Request = "(unknown request)";
    }

    /// <summary>The HTTP status code of the answer (400 for whatever Firecracker refuses).</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The error body's <c>fault_message</c>, or null when the answer had none.</summary>
    public string? FaultMessage { get; }

    /// <summary>The request, as <c>METHOD /path</c>.</summary>
    public string Request { get; }
}
