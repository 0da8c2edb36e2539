namespace SharpVmm.Devices.Legacy;

/// <summary>One byte waiting in the output side of an <see cref="I8042Controller"/>, part of <see cref="I8042ControllerState"/>.</summary>
public sealed record I8042OutputByteState
{
    /// <summary>The byte.</summary>
    public byte Value { get; set; }

    /// <summary>Who sent it: <see cref="FromController"/>, <see cref="FromKeyboard"/> or <see cref="FromAux"/>.</summary>
    public byte Source { get; set; }

    /// <summary>Whether it reads with the status register's timeout bit (an answer for the absent mouse).</summary>
    public bool Timeout { get; set; }

    /// <summary>Whether the guest put it there itself (commands 0xD2 and 0xD3), so no disabled interface holds it back.</summary>
    public bool Written { get; set; }

    /// <summary><see cref="Source"/> of a controller reply.</summary>
    public const byte FromController = 0;

    /// <summary><see cref="Source"/> of a keyboard byte.</summary>
    public const byte FromKeyboard = 1;

    /// <summary><see cref="Source"/> of an auxiliary-port byte.</summary>
    public const byte FromAux = 2;
}
