namespace SharpVmm.Fuzz;

/// <summary>
/// A harness found a broken promise that was not itself an exception: a device thread that failed, a value out of
/// its documented range, a device that did not answer in time. Thrown so that afl-fuzz records the input as a crash.
/// </summary>
public sealed class FuzzFindingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzFindingException()
    {
    }

    /// <summary>Creates the exception with a message saying what went wrong.</summary>
    public FuzzFindingException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception for <paramref name="innerException"/>, which a device recorded instead of throwing.</summary>
    public FuzzFindingException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
