namespace SharpVmm.Cli;

/// <summary>An option value that parsed as a string but makes no sense (bad number, bad register name).</summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UsageException(string message) : base(message)
    {
    }
}
