namespace SharpVmm.Cli.Terminal;

/// <summary>What <see cref="SerialEscapeFilter"/> made of one chunk of console input.</summary>
/// <param name="GuestBytes">Number of bytes written for the guest.</param>
/// <param name="Requests">Escape commands found in the chunk.</param>
public readonly record struct SerialEscapeResult(int GuestBytes, SerialEscapeRequests Requests)
{
    /// <summary>Whether the user asked to quit (Ctrl-A x). Input after the request is dropped.</summary>
    public bool QuitRequested => (Requests & SerialEscapeRequests.Quit) != 0;
}
