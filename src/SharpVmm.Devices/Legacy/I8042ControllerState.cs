namespace SharpVmm.Devices.Legacy;

/// <summary>The guest-visible state of an <see cref="I8042Controller"/> and its keyboard (<see cref="I8042Controller.SaveState"/>).</summary>
public sealed record I8042ControllerState
{
    /// <summary>The 32 bytes of controller RAM; byte 0 is the command byte.</summary>
    public byte[] Ram { get; set; } = [];

    /// <summary>The output port (reset line, A20 gate).</summary>
    public byte OutputPort { get; set; }

    /// <summary>A controller command waiting for its parameter byte on port 0x60, or 0.</summary>
    public byte PendingCommand { get; set; }

    /// <summary>The byte the data port last presented (read again when the buffer is empty).</summary>
    public byte LastRead { get; set; }

    /// <summary>Whether the last write went to the command port (status bit 3).</summary>
    public bool LastWriteWasCommand { get; set; }

    /// <summary>The bytes waiting for the guest, oldest first (at most <see cref="I8042Controller.OutputBufferDepth"/>).</summary>
    public List<I8042OutputByteState> Output { get; set; } = [];

    /// <summary>The keyboard's own state.</summary>
    public Ps2KeyboardState Keyboard { get; set; } = new();
}
