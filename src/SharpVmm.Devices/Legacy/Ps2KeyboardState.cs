namespace SharpVmm.Devices.Legacy;

/// <summary>The state of the PS/2 keyboard behind an <see cref="I8042Controller"/>, part of <see cref="I8042ControllerState"/>.</summary>
public sealed record Ps2KeyboardState
{
    /// <summary>A command waiting for its argument byte (0xED, 0xF0 or 0xF3), or 0.</summary>
    public byte PendingCommand { get; set; }

    /// <summary>The scan code set in use (1-3).</summary>
    public byte ScanCodeSet { get; set; } = 2;

    /// <summary>The last byte the keyboard sent, which 0xFE (resend) repeats.</summary>
    public byte LastReply { get; set; } = 0xFA;

    /// <summary>Whether the keyboard is scanning.</summary>
    public bool ScanningEnabled { get; set; } = true;

    /// <summary>The LEDs (bit 0 scroll, 1 num, 2 caps lock).</summary>
    public byte Leds { get; set; }
}
